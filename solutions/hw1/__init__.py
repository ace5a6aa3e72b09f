"""hw1 — 神经网络优化: backprop by hand. Reference solutions of p1–p5 (with solution markers)."""
