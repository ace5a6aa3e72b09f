"""hw4 — 批量归一化、正则化、dropout 与初始化: batch normalization, L2 regularization and weight decay, dropout,
initialization. Reference solutions of p1–p4 (with solution markers). Points: p1 35, p2 20, p3 25, p4 20."""
