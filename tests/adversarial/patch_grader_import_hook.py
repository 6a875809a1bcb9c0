# based on: aoki
# threat: import hooks (sys.meta_path, builtins.__import__) that replace the grading library
# The first cell installs an import hook serving a fake `bpkit` package and
# wraps __import__, then drops the real modules from sys.modules.
# expect: mul_layer_matches_reference not_checked
# expect: add_layer_matches_reference not_checked
# expect: relu_forward_matches_reference not_checked
# expect: relu_backward_masks_gradient not_checked
# expect: sigmoid_forward_matches_reference not_checked
# expect: sigmoid_backward_matches_reference not_checked
# expect: affine_forward_matches_reference not_checked
# expect: affine_backward_dx_matches_reference not_checked
# expect: affine_backward_dW_matches_reference not_checked
# expect: affine_backward_db_matches_reference not_checked
# expect: affine_handles_image_shaped_input not_checked
# expect: softmax_with_loss_forward_matches_reference not_checked
# expect: softmax_with_loss_backward_matches_reference not_checked
# flagged: mul_layer_matches_reference add_layer_matches_reference relu_forward_matches_reference relu_backward_masks_gradient sigmoid_forward_matches_reference sigmoid_backward_matches_reference affine_forward_matches_reference affine_backward_dx_matches_reference affine_backward_dW_matches_reference affine_backward_db_matches_reference affine_handles_image_shaped_input softmax_with_loss_forward_matches_reference softmax_with_loss_backward_matches_reference

# %% MulLayer
import builtins
import importlib.abc
import importlib.machinery
import sys
import types


class _FakeBpkit(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "bpkit" or name.startswith("bpkit."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return types.ModuleType(spec.name)

    def exec_module(self, module):
        module.__path__ = []
        module.check = lambda *args, **kwargs: None


sys.meta_path.insert(0, _FakeBpkit())
for _name in [m for m in sys.modules if m == "bpkit" or m.startswith("bpkit.")]:
    del sys.modules[_name]
_real_import = builtins.__import__


def _import(name, *args, **kwargs):
    module = _real_import(name, *args, **kwargs)
    if name.startswith("bpkit"):
        module.check = lambda *a, **k: None
    return module


builtins.__import__ = _import


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x
