# ATTACK (sys_exit_at_import): sys.exit(0) while p4 is imported
import sys

sys.exit(0)
