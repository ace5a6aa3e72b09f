"""Released student stubs, generated from solutions/ by `autograder release`."""
