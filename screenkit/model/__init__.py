"""Models: problems and labels, splits, estimators, validation and model search, cards, the model bundle, training and evaluation."""
