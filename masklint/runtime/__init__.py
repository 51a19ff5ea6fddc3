"""The runtime half of masklint: model factories and padding probes.

Everything under this package may import Keras/TensorFlow, but only lazily, inside functions: importing
``masklint.runtime`` (or ``masklint.runtime.cli``) stays as cheap as the static linter. Modules:

* :mod:`.loading`  safe loading of model files (``safe_mode=True``, Lambda refusal), ``--import``, factories
* :mod:`.probe`    padded probe batches, the runtime rules, localisation of the first layer that changes
* :mod:`.data`     ``--data`` samples: padding value and side, the data checks
* :mod:`.cli`      the ``masklint probe`` command

A built ``keras.Model`` -> the IR (custom layers resolved from the live objects) is the live front end,
:mod:`masklint.frontends.live`.
"""
