# based on: aoki
# threat: output injection: script in a cell's HTML, JavaScript, SVG and markdown outputs reaching the feedback page
# softmax forgets the exponential, and the cell displays every kind of
# output a browser could run: <script>, event handlers, javascript: URLs,
# an `isolated` iframe, Javascript(), SVG with onload, markdown links, a
# broken PNG.  Each sets window.PWNED (or the page's data-pwned) if it runs.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values

# %% softmax
from IPython.display import HTML, Javascript, display


def softmax(x):
    return x / np.sum(x, axis=-1, keepdims=True)


_SET = "window.PWNED='{0}';document.documentElement.setAttribute('data-pwned','{0}')"
display(HTML("<b>bold is fine</b><script>" + _SET.format("html-script") + "</script>"
             "<img src=x onerror=\"" + _SET.format("img-onerror") + "\">"
             "<iframe src=\"javascript:parent.PWNED='iframe'\"></iframe>"
             "<svg onload=\"" + _SET.format("svg-in-html") + "\"></svg>"
             "<details open ontoggle=\"" + _SET.format("details") + "\"></details>"
             "<a id='bpkit-js-link' href=\"javascript:" + _SET.format("link") + "\">click</a>"
             "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'><base href='http://example.invalid/'>"
             "<style>body { display: none }</style>"))
display({"text/html": "<script>alert('raw html')</script>",
         "application/javascript": _SET.format("javascript-output")}, raw=True)
display(Javascript(_SET.format("javascript-object")))
display({"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\"" + _SET.format("svg") + "\">"
                          "<script>" + _SET.format("svg-script") + "</script></svg>"}, raw=True)
display({"text/markdown": "[md](javascript:" + _SET.format("markdown-link") + ") <script>"
                          + _SET.format("markdown-script") + "</script>"}, raw=True)
display({"text/html": "<script>" + _SET.format("isolated") + "</script>"},
        metadata={"text/html": {"isolated": True}}, raw=True)
display({"image/png": "\"><script>" + _SET.format("png") + "</script>", "text/plain": "png"}, raw=True)
print("<script>" + _SET.format("stream") + "</script>\x1b[31m red")
