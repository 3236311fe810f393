"""AdaptiveCalls and Workspace: the model calls of a stack of rows chosen by timing,
and buffers lent to the chunks of one call."""

import pickle
import threading
import time

import numpy as np

from glassbox._core import MODEL_ROWS, AdaptiveCalls, Workspace


class SlowModel:
    """A row-wise model whose calls cost ``per_call`` seconds of CPU plus ``per_row2`` times
    the square of their rows (a cost per row that grows with the call); it records the size
    of each call."""

    def __init__(self, per_call=0.0, per_row2=0.0):
        self.per_call, self.per_row2, self.sizes = per_call, per_row2, []

    def __call__(self, Z):
        self.sizes.append(len(Z))
        end = time.process_time() + self.per_call + self.per_row2 * len(Z) ** 2
        while time.process_time() < end:  # busy: the calls are timed in CPU time
            pass
        return np.column_stack([Z.sum(axis=1), Z[:, 0] ** 2])


def stack(n_rows, seed=0):
    return np.random.default_rng(seed).normal(size=(n_rows, 3))


def test_a_model_with_a_cost_per_call_is_called_once_per_stack():
    model = SlowModel(per_call=0.05)
    calls = AdaptiveCalls("auto")
    first, second = stack(4 * MODEL_ROWS, 0), stack(3 * MODEL_ROWS + 5, 1)  # the second: once, however small
    np.testing.assert_array_equal(calls(model, first), model(first))
    assert model.sizes[:3] == [MODEL_ROWS, MODEL_ROWS, 2 * MODEL_ROWS] and calls.whole is True
    model.sizes.clear()
    np.testing.assert_array_equal(calls(model, second), model(second))
    assert model.sizes[0] == len(second)


def test_a_model_slower_per_row_on_large_calls_keeps_calls_of_model_rows():
    model = SlowModel(per_row2=2e-10)  # 13 ms for MODEL_ROWS rows, 54 ms for twice as many
    calls = AdaptiveCalls("auto")
    first, second = stack(4 * MODEL_ROWS, 0), stack(3 * MODEL_ROWS, 1)
    np.testing.assert_array_equal(calls(model, first), model(first))
    assert calls.whole is False
    model.sizes.clear()
    np.testing.assert_array_equal(calls(model, second), model(second))
    assert model.sizes[:3] == [MODEL_ROWS] * 3


def test_small_stacks_and_int_batch_sizes_are_predict_rows():
    model = SlowModel()
    calls = AdaptiveCalls("auto")
    rows = stack(4 * MODEL_ROWS - 1)
    np.testing.assert_array_equal(calls(model, rows), model(rows))
    assert model.sizes[:4] == [MODEL_ROWS, MODEL_ROWS, MODEL_ROWS, MODEL_ROWS - 1] and calls.whole is None
    model.sizes.clear()
    rows = stack(1000)
    np.testing.assert_array_equal(AdaptiveCalls(300)(model, rows), model(rows))
    assert model.sizes[:4] == [300, 300, 300, 100]


def test_the_choice_is_per_thread_and_not_pickled():
    calls = AdaptiveCalls("auto")
    calls(SlowModel(per_call=0.05), stack(4 * MODEL_ROWS))
    assert calls.whole is True
    seen = []
    worker = threading.Thread(target=lambda: seen.append(calls.whole))
    worker.start()
    worker.join()
    assert seen == [None]
    copy = pickle.loads(pickle.dumps(calls))
    assert copy.whole is None and copy.batch_size == "auto"


def test_workspace_lends_one_buffer_per_name_and_thread():
    work = Workspace()
    a = work.array("x", (4, 5), np.float64)
    a[:] = 1.0
    b = work.array("x", (2, 3), np.int32)  # smaller: the same memory
    assert np.shares_memory(a, b) and b.shape == (2, 3) and b.dtype == np.int32
    c = work.array("x", (10, 10), np.float64)  # larger: a new buffer
    assert c.shape == (10, 10) and not np.shares_memory(a, c)
    assert not np.shares_memory(c, work.array("y", (10, 10), np.float64))
    other = []
    worker = threading.Thread(target=lambda: other.append(work.array("x", (10, 10), np.float64)))
    worker.start()
    worker.join()
    assert not np.shares_memory(c, other[0])
    assert pickle.loads(pickle.dumps(work)).array("x", (3,), bool).shape == (3,)
