# based on: aoki
# threat: import hooks (sys.meta_path, builtins.__import__) that replace the grading library
# The first cell installs an import hook serving a fake `bpkit` package and
# wraps __import__, then drops the real modules from sys.modules.
# expect: mul_layer_backward_gives_each_input_the_other not_checked
# expect: add_layer_passes_dout_to_both_inputs not_checked
# expect: relu_forward_zeroes_non_positive_inputs not_checked
# expect: relu_backward_masks_gradient not_checked
# expect: sigmoid_forward_computes_the_logistic_function not_checked
# expect: sigmoid_backward_uses_the_output not_checked
# expect: affine_forward_computes_xW_plus_b not_checked
# expect: affine_backward_dx_is_dout_times_W_transposed not_checked
# expect: affine_backward_dW_is_x_transposed_times_dout not_checked
# expect: affine_backward_db_sums_dout_over_the_batch not_checked
# expect: affine_handles_image_shaped_input not_checked
# expect: softmax_with_loss_forward_gives_the_mean_loss not_checked
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N not_checked
# flagged: mul_layer_backward_gives_each_input_the_other add_layer_passes_dout_to_both_inputs relu_forward_zeroes_non_positive_inputs relu_backward_masks_gradient sigmoid_forward_computes_the_logistic_function sigmoid_backward_uses_the_output affine_forward_computes_xW_plus_b affine_backward_dx_is_dout_times_W_transposed affine_backward_dW_is_x_transposed_times_dout affine_backward_db_sums_dout_over_the_batch affine_handles_image_shaped_input softmax_with_loss_forward_gives_the_mean_loss softmax_with_loss_backward_gives_y_minus_t_over_N

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
