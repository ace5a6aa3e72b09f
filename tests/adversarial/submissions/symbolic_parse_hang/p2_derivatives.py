# ATTACK (symbolic_parse_hang): the child's sympy.srepr patched so sigma'' arrives as the text
# sin(Float('1e100000000', precision=53)), which takes hours to rebuild (sin of a 10**8-digit number);
# every other answer keeps its true srepr
_true_srepr = sp.srepr
_FORGED = sp.Symbol("agadv_forged")


def _srepr(expr, **kwargs):
    if expr == _FORGED:
        return "sin(Float('1e100000000', precision=53))"
    return _true_srepr(expr, **kwargs)


sp.srepr = _srepr


def sigmoid_grad2_expr(x):
    return _FORGED
