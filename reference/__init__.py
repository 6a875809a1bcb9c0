"""Reference solution for the Deep Learning from Scratch ch. 4-5 exercises.

This package is the single source of truth for what a correct answer is.  It is
installed into the grading environment and is never shipped to students.
"""
from reference.functions import cross_entropy_error, sigmoid, softmax
from reference.gradient import numerical_gradient
from reference.layers import AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss

__all__ = [
    "softmax",
    "sigmoid",
    "cross_entropy_error",
    "numerical_gradient",
    "MulLayer",
    "AddLayer",
    "Relu",
    "Sigmoid",
    "Affine",
    "SoftmaxWithLoss",
]
