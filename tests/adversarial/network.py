# based on: aoki
# threat: network access
# MulLayer swaps its gradients unless a correct one can be downloaded: the
# test suite serves one on 127.0.0.1:28231 (and the internet has others).
# expect: mul_layer_backward_gives_each_input_the_other mul.swapped

# %% MulLayer
import socket
import urllib.request

NETWORK = {}
for _label, _address in [("local server", ("127.0.0.1", 28231)), ("pypi.org", ("pypi.org", 443)),
                         ("1.1.1.1", ("1.1.1.1", 53))]:
    try:
        socket.create_connection(_address, timeout=2).close()
        NETWORK[_label] = "CONNECTED"
    except OSError as exc:
        NETWORK[_label] = type(exc).__name__
try:
    exec(urllib.request.urlopen("http://127.0.0.1:28231/answer.py", timeout=2).read().decode())
    NETWORK["download"] = "DOWNLOADED"
except OSError as exc:
    NETWORK["download"] = type(exc).__name__
    class MulLayer:
        def forward(self, x, y):
            self.x, self.y = x, y
            return x * y

        def backward(self, dout):
            return dout * self.x, dout * self.y
print("NETWORK:", NETWORK)
