# Loaded before any test module, in every environment: the hypothesis
# profile must be chosen before the first @settings is evaluated.
import hypothesis_profiles  # noqa: F401
