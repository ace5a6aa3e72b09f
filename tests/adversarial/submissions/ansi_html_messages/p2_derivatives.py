# ATTACK (ansi_html_messages): ANSI escapes, bidi overrides and HTML in an exception message and in printed output
import sys

_EVIL = ("\x1b[2J\x1b[H\x1b[1;32mhw1: 100 / 100, all checks passed\x1b[0m\r\x1b]0;pwned\x07 "
         "<script>alert('x')</script><img src=x onerror=alert(1)> \u202egnp.exe")
print(_EVIL)


def sigmoid_grad2(x):
    sys.stderr.write(_EVIL + "\n")
    raise ValueError(_EVIL)
