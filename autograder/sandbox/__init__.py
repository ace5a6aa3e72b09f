"""Sandboxed evaluation of student code: the child process, its wire format and the parent that runs it."""
