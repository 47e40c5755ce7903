"""The research toolkit on top of micrograd: model files, graph export and analysis,
drawing, experiments and the ``micrograd`` command line."""

from toolkit.model_io import LoadedModel, ModelFormatError, load_model, save_model

__all__ = ["LoadedModel", "ModelFormatError", "load_model", "save_model"]
