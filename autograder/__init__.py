"""Grading engine and command-line tool of the course's auto-graded assignments."""
