"""The research toolkit on top of micrograd: graph export and analysis, drawing, model
files, experiments and the ``micrograd`` command line."""

from toolkit.analysis import GraphAnalysis, analyze, format_analysis
from toolkit.draw import draw
from toolkit.graph import GraphFormatError, from_networkx, load_graph, save_graph, to_networkx
from toolkit.model_io import LoadedModel, ModelFormatError, load_model, save_model
from toolkit.view import view

__all__ = [
    "GraphAnalysis",
    "GraphFormatError",
    "LoadedModel",
    "ModelFormatError",
    "analyze",
    "draw",
    "format_analysis",
    "from_networkx",
    "load_graph",
    "load_model",
    "save_graph",
    "save_model",
    "to_networkx",
    "view",
]
