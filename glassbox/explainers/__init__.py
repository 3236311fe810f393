"""Post-hoc explainers: scikit-learn meta-estimators around the model they explain."""

__all__ = []
