# ATTACK (keyboard_interrupt_at_import): KeyboardInterrupt while p4 is imported
raise KeyboardInterrupt
