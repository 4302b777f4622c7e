from setuptools import setup, find_packages

LEGACY = [
    "numpy==1.23.5",
    "Theano==1.0.5",
    "Lasagne==0.1",
    "nolearn==0.6.1",
    "scikit-learn",
    # Lasagne 0.1 imports pkg_resources, which setuptools 81+ no longer has.
    "setuptools<81",
]

setup(
    name="nolearn_capacity",
    version="0.1.0",
    description=("Learning capacity and image coverage of convolutional "
                 "networks: a drop-in for nolearn's layer table, plus an "
                 "exact receptive-field mode."),
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["nolearn_capacity", "nolearn_capacity.*"]),
    python_requires=">=3.10",
    install_requires=["numpy", "tabulate"],
    extras_require={
        "legacy": LEGACY,
        "torch": ["torch==2.13.0"],
        "yaml": ["PyYAML"],
        "plot": ["matplotlib"],
        "test": ["pytest", "hypothesis"],
    },
    entry_points={
        "console_scripts": ["nolearn-capacity = nolearn_capacity.cli:main"],
    },
)
