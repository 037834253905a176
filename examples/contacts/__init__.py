"""An example Flet app in two versions: ``leaky`` (as often written) and ``fixed``."""
