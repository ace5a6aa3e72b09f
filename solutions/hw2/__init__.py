"""hw2 — 优化器与学习率调度: optimizers and learning-rate schedules. Reference solutions of p1–p3 (with solution
markers). Points: p1 50, p2 20, p3 30."""
