"""Inpainting networks from the papers (torch ``nn.Module``s). Importing this package imports torch;
the app imports it lazily (inside network methods) only."""
