"""The math of convolutional networks, as pure functions on batches of images.

Images are laid out as ``(samples, channels, height, width)``. A convolution is
turned into one matrix product by *im2col*: every window the kernel visits
becomes a column of a matrix, so that sliding ``out_channels`` kernels over the
image is ``kernels @ cols``. Its backward pass is two more products and
*col2im*, which adds each column's gradient back onto the pixels of its window.

The functions work window position by window position: a ``kh x kw`` kernel
means ``kh * kw`` slices of the image, each one the pixels that a given kernel
entry touches, whatever the window. That is short to read and does the work
in large array operations, in any array namespace with NumPy's API.

The batch is first laid out channels first, samples second: ``(c, n, h, w)``.
Then each kernel entry's slice of the image is a block of whole pixel rows,
and the columns of ``cols`` run over samples, rows and columns of windows,
while its rows run over kernel row, kernel column and channel.
:func:`kernel_matrix` lays weights of PyTorch's shape ``(out_channels,
in_channels, kh, kw)`` out the same way, one row per output channel.

The convolution lives in :mod:`glassnet.ops.im2col`, pooling in
:mod:`glassnet.ops.pooling`, batch normalization in
:mod:`glassnet.ops.normalization`; this module gathers them.
"""

from .im2col import (
    col2im,
    col2im_rows,
    conv2d,
    conv2d_backward,
    grid,
    im2col,
    im2col_rows,
    kernel_matrix,
    output_size,
    pad_images,
    pads_for,
    pair,
    row_slack,
)
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
    "pads_for",
    "pair",
    "output_size",
    "grid",
    "pad_images",
    "im2col",
    "col2im",
    "row_slack",
    "im2col_rows",
    "col2im_rows",
    "kernel_matrix",
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
