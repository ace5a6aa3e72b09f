"""hw5 — 激活函数、损失函数与分类: activations, losses and classification. Reference solutions of p1–p3 (with
solution markers). Points: p1 30, p2 45, p3 25."""
