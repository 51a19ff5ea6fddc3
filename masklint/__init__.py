"""masklint: find Keras masking and padding mistakes.

Static linting (saved models, and later source code) never imports TensorFlow or Keras.
"""
__version__ = "0.1.0"

__all__ = ["__version__", "lint_model_file", "lint_paths"]


def lint_model_file(path):
    """Findings for one saved model file (``.keras``, ``.h5``, ``.json``)."""
    from .lint import lint_model_file as _f

    return _f(path)


def lint_paths(paths):
    """Lint files and directories; returns ``(findings, errors, files_checked)``."""
    from .runner import lint_paths as _f

    return _f(paths)
