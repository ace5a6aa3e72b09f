"""hw3 — 临界点与海森矩阵: critical points and the Hessian (`001` §3.1). Reference solutions of p1–p3 (with solution
markers). Points: p1 40, p2 35, p3 25."""
