# ATTACK (os_exit_at_import): os._exit(0) while p4 is imported
import os

os._exit(0)
