"""The differentiable form of a model: affine layers, activations and a head.

A :class:`Network` is a stack of affine layers, each followed by an elementwise
activation, and a head (identity, softmax, or the log-odds of a softmax) giving the
explained output; :mod:`._network_readers` reads fitted models into it. The gradient is
one reverse pass over a stack of rows (:meth:`Network.jacobian`); DeepLIFT's rescale rule
is the same pass with each activation's derivative replaced by its secant between the
row and the reference (:meth:`Network.multipliers`), and a softmax head split into
exponentials, a sum and a logarithm, each with its secant. Secants are written without
cancellation, so that they stay accurate however close the row is to the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp, softmax

from .._core import PROBA_CLIP

__all__ = ["Layer", "Network", "activate"]

_LOG_ODDS_RANGE = (
    float(np.log(PROBA_CLIP) - np.log1p(-PROBA_CLIP)),
    float(np.log(1 - PROBA_CLIP) - np.log1p(-(1 - PROBA_CLIP))),
)
"""ModelOutput clips probabilities to [PROBA_CLIP, 1 - PROBA_CLIP] before taking log-odds:
the explained log-odds are clipped to this range, where their gradient is zero."""


@dataclass(frozen=True, eq=False)
class Layer:
    """``activation(inputs @ weights + bias)``."""

    weights: np.ndarray  # (n_in, n_out)
    bias: np.ndarray  # (n_out,)
    activation: str  # "identity", "relu", "tanh", "logistic", "log_logistic" or "exp"


@dataclass(frozen=True, eq=False)
class Network:
    """Affine layers with elementwise activations, then a head giving the explained output.

    The head maps the last layer's values ``h`` of shape (n, K) to K outputs:
    ``"identity"``, ``"softmax"``, ``"log_odds"`` (``log p_k - log(1 - p_k)`` of the
    softmax, which is ``h_k - logsumexp_{j != k} h_j``) or ``"sigmoid_log_odds"`` (the
    log-odds of independent sigmoids, ``h`` itself); log-odds are clipped as
    ModelOutput clips them.
    """

    layers: tuple
    head: str

    @property
    def n_inputs(self):
        return self.layers[0].weights.shape[0]

    @property
    def n_outputs(self):
        return self.layers[-1].weights.shape[1]

    @property
    def width(self):
        """The widest row of any array of a pass (inputs, units, outputs)."""
        return max(self.n_inputs, *(layer.weights.shape[1] for layer in self.layers))

    def _forward(self, Z):
        """Pre-activations and activations of every layer for rows ``Z`` of shape (n, p)."""
        pre, post = [], []
        values = Z
        for layer in self.layers:
            z = values @ layer.weights + layer.bias  # (n, n_out)
            values = activate(layer.activation, z)
            pre.append(z)
            post.append(values)
        return pre, post

    def kinks(self, X, reference):
        """Where the straight paths from ``reference`` to the rows ``X`` cross a ReLU's kink.

        On such a path a network of ReLU (and identity) layers is piecewise linear in the
        position ``alpha`` in [0, 1], and its gradient jumps where a unit switches: a
        quadrature rule converges slowly across such a jump and fast between them. Layer
        by layer, the pre-activations are linear between the breakpoints found so far, so
        their zeros are exact. Networks with smooth activations have no kinks.

        ``reference`` is one row, or one row per row of ``X``.

        Returns
        -------
        owner, alpha : ndarray of shape (m,)
            The row of each breakpoint and its position, sorted by row then position;
            every row has 0 and 1.
        """
        n_rows = len(X)
        reference = np.broadcast_to(reference, X.shape)
        owner = np.repeat(np.arange(n_rows), 2)
        alpha = np.tile([0.0, 1.0], n_rows)
        if any(layer.activation not in ("relu", "identity") for layer in self.layers):
            return owner, alpha
        step = X - reference  # (n, p)
        for depth, layer in enumerate(self.layers):
            if layer.activation != "relu":
                continue
            z = self._pre_activation(reference[owner] + alpha[:, None] * step[owner], depth)  # (m, units)
            same = owner[1:] == owner[:-1]  # consecutive breakpoints of one row bound a segment
            za, zc = z[:-1][same], z[1:][same]
            segment, unit = np.nonzero(za * zc < 0)
            first = np.flatnonzero(same)[segment]
            a, c = alpha[first], alpha[first + 1]
            zs, ze = za[segment, unit], zc[segment, unit]
            owner = np.concatenate([owner, owner[first]])
            alpha = np.concatenate([alpha, a + (c - a) * zs / (zs - ze)])
            order = np.lexsort((alpha, owner))
            owner, alpha = owner[order], alpha[order]
            keep = np.r_[True, (owner[1:] != owner[:-1]) | (alpha[1:] > alpha[:-1])]
            owner, alpha = owner[keep], alpha[keep]
        return owner, alpha

    def _pre_activation(self, Z, depth):
        """Pre-activations of layer ``depth`` for rows ``Z``."""
        values = Z
        for layer in self.layers[:depth]:
            values = activate(layer.activation, values @ layer.weights + layer.bias)
        layer = self.layers[depth]
        return values @ layer.weights + layer.bias

    def predict(self, Z):
        """The explained output, shape (n, n_outputs)."""
        _, post = self._forward(Z)
        return _head(self.head, post[-1])

    def jacobian(self, Z):
        """d output / d input at rows ``Z``: shape (n, n_outputs, n_features)."""
        return self.to_inputs(self.first_layer_gradient(Z))

    def first_layer_gradient(self, Z, weights=None):
        """d output / d (pre-activation of the first layer), shape (n, n_kept, n_units).

        The last step of the chain rule, :meth:`to_inputs`, is linear: sums of gradients
        (along a path) are taken here, on fewer columns, and mapped to the inputs once.
        ``weights`` of shape (n,) scale each row's gradient. Two class probabilities keep
        only the second (``n_kept = 1``); :meth:`to_inputs` restores the first.
        """
        pre, post = self._forward(Z)
        factors = [_derivative(layer.activation, z, a) for layer, z, a in zip(self.layers, pre, post)]
        head = self._kept(_head_jacobian(self.head, post[-1]))  # (n, n_kept, K)
        if weights is not None:
            head = head * weights[:, None, None]  # the chain rule is linear in it
        return self._backward(head, factors)

    def to_inputs(self, G, *, expand=True):
        """Gradients with respect to the first pre-activation, mapped to the inputs: (n, o, p).

        ``expand=False`` leaves out the output that :meth:`expand` restores.
        """
        G = _through(G, self.layers[0].weights)
        return self.expand(G) if expand else G

    def expand(self, G, *, sign=-1.0):
        """Restore the first of two class probabilities, ``sign`` times the second: (n, o, p)."""
        if not self._is_binary:
            return G
        out = np.empty((G.shape[0], 2, *G.shape[2:]))
        out[:, 1:] = G
        np.multiply(G, sign, out=out[:, :1])  # p_0 = 1 - p_1
        return out

    @property
    def _is_binary(self):
        # Not for log-odds: their clipping range is not exactly symmetric in float64.
        return self.head == "softmax" and self.n_outputs == 2

    def _kept(self, head):
        """The rows of a head's Jacobian or multipliers that are propagated: (n, n_kept, K)."""
        return head[:, 1:] if self._is_binary else head

    def multipliers(self, Z, reference):
        """DeepLIFT rescale multipliers of rows ``Z`` against a reference row (or one per row).

        ``(multipliers * (Z - reference)[:, None, :]).sum(axis=2)`` is the change of
        every output from the reference to the row. Shape (n, n_outputs, n_features).
        """
        pre, post = self._forward(Z)
        pre0, post0 = self._forward(np.atleast_2d(reference))
        factors = [
            _secant(layer.activation, z, z0, a, a0) for layer, z, z0, a, a0 in zip(self.layers, pre, pre0, post, post0)
        ]
        h0 = np.broadcast_to(post0[-1], post[-1].shape)
        head = self._kept(_head_multipliers(self.head, post[-1], h0))
        return self.to_inputs(self._backward(head, factors))

    def _backward(self, G, factors):
        """Chain rule from the head back to the first pre-activation: (n, o, K) -> (n, o, n_units)."""
        for k in range(len(self.layers) - 1, -1, -1):
            if factors[k] is not None:
                G = G * factors[k][:, None, :]  # through the activation of layer k
            if k > 0:
                G = _through(G, self.layers[k].weights)  # through the weights of layer k
        return G


def _through(G, weights):
    """``G @ weights.T`` over the last axis of G (n, o, n_out) -> (n, o, n_in), as one matmul."""
    n_rows, n_outputs, n_out = G.shape
    return (G.reshape(-1, n_out) @ weights.T).reshape(n_rows, n_outputs, -1)


def activate(name, z):
    """The activation ``name`` of pre-activations ``z``, elementwise."""
    if name == "identity":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "logistic":
        return expit(z)
    if name == "log_logistic":
        return log_expit(z)
    return np.exp(z)  # "exp"


def _derivative(name, z, a):
    """d activation / d z, given the pre-activation ``z`` and the activation ``a``; None for identity."""
    if name == "identity":
        return None
    if name == "relu":
        return z > 0  # boolean: multiplied without a float copy
    if name == "tanh":
        return 1.0 - a * a
    if name == "logistic":
        return a * (1.0 - a)
    if name == "log_logistic":
        return expit(-z)
    return a  # "exp"


def _sinc(function, d):
    """``function(d) / d``, continued by 1 at ``d = 0`` (for tanh and expm1)."""
    safe = np.where(d == 0, 1.0, d)
    return np.where(d == 0, 1.0, function(safe) / safe)


def _secant(name, z, z0, a, a0):
    """DeepLIFT's rescale multiplier ``(a - a0) / (z - z0)``, the derivative where ``z = z0``.

    Written without cancellation for close ``z`` and ``z0``, so that the multiplier is
    accurate at any distance: ``tanh(z) - tanh(z0) = tanh(d) (1 - tanh(z) tanh(z0))``,
    the logistic function is ``(1 + tanh(z / 2)) / 2``, and ``exp(z) - exp(z0) =
    exp(z0) expm1(d)``. ``None`` for identity.
    """
    if name == "identity":
        return None
    d = z - z0
    safe = np.where(d == 0, 1.0, d)
    if name == "relu":
        return np.where(d == 0, (z > 0).astype(np.float64), (a - a0) / safe)
    if name == "tanh":
        return _sinc(np.tanh, d) * (1.0 - a * a0)
    if name == "logistic":
        t, t0 = np.tanh(z / 2.0), np.tanh(z0 / 2.0)
        return 0.25 * _sinc(np.tanh, d / 2.0) * (1.0 - t * t0)
    far = np.abs(d) > 0.5
    near = np.where(far, 0.0, d)
    if name == "log_logistic":
        # sigma(z) / sigma(z0) = 1 + sigma(-z) expm1(d): the log of it over d tends to sigma(-z).
        ratio = np.log1p(expit(-z) * np.expm1(near)) / np.where(near == 0, 1.0, near)
        return np.where(far, (a - a0) / safe, np.where(near == 0, expit(-z), ratio))
    return np.where(far, (a - a0) / safe, a0 * _sinc(np.expm1, near))  # "exp"


def _exp_secant(u, u0):
    """``(exp(u) - exp(u0)) / (u - u0)``, exp(u) where they coincide."""
    d = u - u0
    far = np.abs(d) > 0.5
    near = np.where(far, 0.0, d)
    return np.where(far, (np.exp(u) - np.exp(u0)) / np.where(far, d, 1.0), np.exp(u0) * _sinc(np.expm1, near))


def _log_secant(log_s, log_s0):
    """``(log s - log s0) / (s - s0)`` from the logarithms of positive ``s, s0``; 1 / s where they coincide.

    The logarithms come from ``logsumexp``, so they stay finite where ``s`` underflows.
    """
    s, s0 = np.exp(log_s), np.exp(log_s0)
    d = log_s - log_s0
    far = ~(np.abs(d) <= 0.5)
    near = np.where(far, 0.0, d)
    with np.errstate(divide="ignore", invalid="ignore"):  # in the branch np.where discards
        # Close together: (log s - log s0) / (s - s0) = d / (s0 expm1(d)).
        close = 1.0 / (s0 * _sinc(np.expm1, near))
        return np.where(far, d / np.where(far, s - s0, 1.0), close)


def _without_self(h):
    """``logsumexp`` over ``j != k`` of ``h``: shape (n, K) from (n, K)."""
    K = h.shape[1]
    mask = np.where(np.eye(K, dtype=bool), -np.inf, 0.0)  # (K, K), -inf on the diagonal
    return logsumexp(h[:, None, :] + mask[None], axis=2)


def _raw_log_odds(head, h):
    """Log-odds before ModelOutput's clipping: of a softmax, or of independent sigmoids."""
    return h - _without_self(h) if head == "log_odds" else h


def _is_unclipped(log_odds):
    return (log_odds > _LOG_ODDS_RANGE[0]) & (log_odds < _LOG_ODDS_RANGE[1])


def _head(head, h):
    if head == "identity":
        return h
    if head == "softmax":
        return softmax(h, axis=1)
    return np.clip(_raw_log_odds(head, h), *_LOG_ODDS_RANGE)


def _head_jacobian(head, h):
    """d output / d h, shape (n, K, K)."""
    n_rows, K = h.shape
    eye = np.eye(K)
    if head == "identity":
        return np.broadcast_to(eye, (n_rows, K, K))
    if head == "softmax":
        p = _head("softmax", h)
        return p[:, :, None] * (eye - p[:, None, :])
    jacobian = np.broadcast_to(eye, (n_rows, K, K))
    if head == "log_odds":
        exponent = h[:, None, :] - _without_self(h)[:, :, None]  # (n, K, K)
        others = np.exp(np.where(eye.astype(bool), -np.inf, exponent))  # softmax over j != k, 0 at j = k
        jacobian = eye - others
    return jacobian * _is_unclipped(_raw_log_odds(head, h))[:, :, None]


def _head_multipliers(head, h, h0):
    """DeepLIFT multipliers of the head, shape (n, K, K): ``M @ (h - h0) = head(h) - head(h0)``.

    The softmax ``p_k = exp(h_k - log S)``, ``S = sum_j exp(h_j)``, is split into the
    exponentials (secants ``s_j``), the sum, the logarithm (secant ``q``) and the final
    exponential (secant ``r_k``): ``M_kj = r_k (delta_kj - q s_j)``. The log-odds
    ``h_k - log S_k`` with ``S_k = sum_{j != k} exp(h_j)`` give ``M_kj = delta_kj - q_k
    s_j`` for ``j != k``, then the secant of the clipping of log-odds. Logits are
    shifted by a common constant first, which changes no output.
    """
    n_rows, K = h.shape
    eye = np.eye(K)
    if head == "identity":
        return np.broadcast_to(eye, (n_rows, K, K))
    multipliers = np.broadcast_to(eye, (n_rows, K, K))
    if head == "softmax":
        shift = np.maximum(h.max(axis=1), h0.max(axis=1))[:, None]  # one of S, S0 is at least 1
        u, u0 = h - shift, h0 - shift
        s = _exp_secant(u, u0)  # (n, K)
        log_total, log_total0 = logsumexp(u, axis=1), logsumexp(u0, axis=1)
        q = _log_secant(log_total, log_total0)  # (n,)
        r = _exp_secant(u - log_total[:, None], u0 - log_total0[:, None])  # (n, K): secant of p = exp(log p)
        return r[:, :, None] * (eye - q[:, None, None] * s[:, None, :])
    if head == "log_odds":
        off = eye == 0
        # One shift per output k, over the logits j != k of the row and the reference.
        shift = np.where(off, np.maximum(h, h0)[:, None, :], -np.inf).max(axis=2)  # (n, K)
        # (n, K, K): logit j for output k, 0 at j = k where it is left out.
        u = np.where(off, h[:, None, :] - shift[:, :, None], 0.0)
        u0 = np.where(off, h0[:, None, :] - shift[:, :, None], 0.0)
        s = np.where(off, _exp_secant(u, u0), 0.0)
        mask = np.where(off, 0.0, -np.inf)
        q = _log_secant(logsumexp(u + mask, axis=2), logsumexp(u0 + mask, axis=2))  # (n, K): secant of log S_k
        multipliers = eye - q[:, :, None] * s
    raw, raw0 = _raw_log_odds(head, h), _raw_log_odds(head, h0)
    d = raw - raw0
    clipped = np.clip(raw, *_LOG_ODDS_RANGE) - np.clip(raw0, *_LOG_ODDS_RANGE)
    clip_secant = np.where(d == 0, _is_unclipped(raw), clipped / np.where(d == 0, 1.0, d))
    return multipliers * clip_secant[:, :, None]
