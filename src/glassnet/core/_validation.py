"""Input checks shared by the whole library.

Every message names the argument, what was expected and what was received, so
that a user can fix the call without reading glassnet's source. Every check
raises :class:`~glassnet.errors.OptionError` (a ``ValueError``) or
:class:`~glassnet.errors.OptionTypeError` (also a ``TypeError``).

The checks live in three modules, gathered here so that the rest of glassnet
imports them from one place:

- :mod:`._check_values`: single values (integers, reals in an interval,
  choices, seeds, numbers sent as text or JSON) and :func:`short`, the cut
  ``repr`` every message repeats a received value through;
- :mod:`._check_arrays`: dtypes, arrays and their shapes, finite values, the
  memory an allocation would need;
- :mod:`._check_paths`: the files glassnet writes, never over something else.
"""

from ._check_arrays import (
    FLOAT_DTYPES,
    all_finite,
    available_memory,
    check_array,
    check_dtype,
    check_in_range,
    check_memory,
)
from ._check_arrays import _size as _size
from ._check_paths import KINDS, as_file_path, as_path, check_target, check_writable, input_folder_around, not_a_file
from ._check_paths import _same_file as _same_file
from ._check_values import (
    ECHO,
    NUMBER,
    WHOLE,
    as_generator,
    brief,
    check_choice,
    check_flag,
    check_positive_int,
    check_real,
    finite_number,
    is_number_text,
    json_number,
    meant,
    short,
)

__all__ = ["ECHO", "FLOAT_DTYPES", "KINDS", "NUMBER", "WHOLE", "all_finite", "as_generator", "as_file_path", "as_path",
           "available_memory", "brief", "check_array", "check_choice", "check_dtype", "check_flag", "check_in_range",
           "check_memory", "check_positive_int", "check_real", "check_target", "check_writable", "finite_number",
           "input_folder_around", "is_number_text", "json_number", "meant", "not_a_file", "short"]
