# based on: aoki
# threat: output injection: raw HTML and javascript: links in a markdown cell reaching the feedback page
# MulLayer swaps its gradients, and the student adds a markdown cell full of
# things a browser could run: <script>, <img onerror>, <iframe>, javascript:
# links (HTML and markdown syntax), <svg onload>, mutation-XSS markup and a
# MathJax \href.  Each sets window.PWNED (or the page's data-pwned) if it runs.
# expect: mul_layer_backward_gives_each_input_the_other mul.swapped

# %% MulLayer
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        return dout * self.x, dout * self.y

# %% MulLayer +markdown
## My notes <script>window.PWNED='md-script';document.documentElement.setAttribute('data-pwned','md-script')</script>

<img src=x onerror="window.PWNED='md-img';document.documentElement.setAttribute('data-pwned','md-img')">
<iframe src="javascript:parent.PWNED='md-iframe'"></iframe>
<svg onload="window.PWNED='md-svg'"></svg>
<a id="bpkit-md-html-link" href="javascript:window.PWNED='md-html-link'">html link</a>
[markdown link](javascript:window.PWNED='md-markdown-link') and ![image](javascript:window.PWNED='md-image')
<details open ontoggle="window.PWNED='md-details'">x</details>
<math><mtext><table><mglyph><style><img src=x onerror="window.PWNED='md-mxss'"></style></mglyph></table></mtext></math>
<object data="javascript:window.PWNED='md-object'"></object>
<form action="javascript:window.PWNED='md-form'"><button id="bpkit-md-button">go</button></form>

The math still renders: $x > 0$ and $\href{javascript:window.PWNED='mathjax'}{y}$.
