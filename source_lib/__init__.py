"""What solutions, grader and students share: array backend, numerics, operation counting."""
