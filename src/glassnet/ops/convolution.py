"""The math of convolutional networks as pure functions on batches of images, gathered under one name.

Images are laid out as ``(samples, channels, height, width)``. The
convolution by im2col and col2im lives in :mod:`glassnet.ops.im2col` (which
explains how a convolution becomes one matrix product and how the batch is
laid out for it), samples first for pictures of few channels in
:mod:`glassnet.ops.im2col_samples`, and at stride 1 on a grid of images that share their padding in
:mod:`glassnet.ops.im2col_grid`; pooling in :mod:`glassnet.ops.pooling`, batch normalization
in :mod:`glassnet.ops.normalization`. This module gathers them, so that
``glassnet.convolution.conv2d`` and the rest keep their names.
"""

from .im2col import (
    col2im,
    conv2d,
    conv2d_backward,
    grid,
    im2col,
    kernel_matrix,
    output_size,
    pad_images,
    padding_setting,
    pads_for,
    pair,
)
from .im2col_grid import Grid, col2im_grid, grid_for, im2col_grid
from .im2col_samples import col2im_samples, im2col_samples, pad_samples
from .normalization import (
    batch_norm,
    batch_norm_backward,
    batch_statistics,
)
from .pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_positions,
)

__all__ = [
    "padding_setting",
    "pads_for",
    "pair",
    "output_size",
    "grid",
    "pad_images",
    "im2col",
    "col2im",
    "Grid",
    "grid_for",
    "im2col_grid",
    "col2im_grid",
    "kernel_matrix",
    "pad_samples",
    "im2col_samples",
    "col2im_samples",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_positions",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm",
    "batch_statistics",
    "batch_norm_backward",
]
