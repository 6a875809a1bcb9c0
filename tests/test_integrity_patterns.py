"""The integrity hints (bpkit.integrity): code patterns worth a look in a
solution cell, seen however they are spelled, and never in honest code."""
from pathlib import Path

import pytest

from bpkit.integrity import suspicious_code
from bpkit.sample import SAMPLE_DIR, sample_students, student_cells

CATALOGUE = Path(__file__).with_name("catalogue")

EVASIONS = {
    "import sys as s\ns.modules['bpkit.probe'] = None": "sys.modules",
    "from sys import modules as m\nm.clear()": "sys.modules",
    "p = __import__('sy' + 's')": "__import__()",
    "x = ().__class__.__base__.__subclasses__()": "__subclasses__",
    "import importlib\nm = importlib.import_module('bp' + 'kit.probe')": "import importlib",
    "exec(bytes.fromhex('7072696e74').decode())": "exec()",
    "import inspect\nf = inspect.currentframe().f_back.f_globals": "import inspect",
    "def softmax(x):\n    return sys._getframe(1).f_locals": "sys._getframe",
    "import gc\ngc.get_objects()": "import gc",
    "import ctypes": "import ctypes",
    "import socket as so": "import socket",
    "secret = open('/etc/hostname').read()": "open()",
    "key = os.environ.get('BPKIT_JUDGE')": "os.environ",
    "!cat /etc/passwd": "get_ipython().system",
    "np.allclose = lambda *a, **k: True": "assigns numpy.allclose",
    "import numpy as xp\nsetattr(xp, 'allclose', all)": "setattr()",
    "isinstance = lambda *a: True": "rebinds isinstance",
    "class Fake(float):\n    def __eq__(self, other):\n        return True": "def __eq__",
    "b = __builtins__": "__builtins__",
}


@pytest.mark.parametrize("source, pattern", EVASIONS.items())
def test_is_a_grading_tampering_pattern_seen_however_it_is_spelled(source, pattern):
    assert pattern in suspicious_code(source), suspicious_code(source)


def test_does_a_cell_with_a_syntax_error_still_get_searched():
    assert "sys.modules" in suspicious_code("import sys\nsys.modules[ = 1")
    assert suspicious_code("def f(x):\n    return x +") == []


@pytest.mark.parametrize("source", [
    "import sys, os\nsys.path.append(os.pardir)\nfrom common.functions import *",  # the book's own import
    "def softmax(x):\n    x = x - np.max(x, axis=-1, keepdims=True)\n    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)",
    "%timeit softmax(np.ones(3))",
    "class Relu:\n    def __init__(self):\n        self.mask = None\n    def forward(self, x):\n        self.mask = x <= 0\n        out = x.copy()\n        out[self.mask] = 0\n        return out",
])
def test_is_honest_code_never_flagged(source):
    assert suspicious_code(source) == []


def test_are_the_sample_class_and_the_catalogue_never_flagged():
    entries = [(s, SAMPLE_DIR) for s in sample_students()] + [(p.stem, CATALOGUE) for p in CATALOGUE.glob("*.py")]
    assert len(entries) > 50
    flagged = {(name, cell): suspicious_code(code) for name, directory in entries
               for cell, code in student_cells(name, directory).items() if code and suspicious_code(code)}
    assert flagged == {}
