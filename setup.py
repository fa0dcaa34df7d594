"""The optional C extension; everything else is declared in pyproject.toml.

``cacheserver._speedups`` holds compiled pieces of the data path. It is optional: where it cannot be
built (no C compiler), the install still succeeds and the Python twins of its functions run instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "cacheserver._speedups",
            ["cacheserver/_speedups.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
