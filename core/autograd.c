#include "autograd.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Node references count the way tensor and storage references do (atomics),
 * so one refcount style holds in the whole core. */
static void node_retain(mien_node *n) { __atomic_fetch_add(&n->refcount, 1, __ATOMIC_RELAXED); }
static int node_unref(mien_node *n) { return __atomic_sub_fetch(&n->refcount, 1, __ATOMIC_ACQ_REL); }

static _Thread_local bool grad_disabled;
static uint64_t next_seq;

bool mien_grad_enabled(void) { return !grad_disabled; }

bool mien_set_grad_enabled(bool on) {
  bool was = !grad_disabled;
  grad_disabled = !on;
  return was;
}

bool mien_needs_record(int n, mien_tensor *const *inputs) {
  if (grad_disabled) return false;
  for (int k = 0; k < n; k++)
    if (inputs[k] && inputs[k]->requires_grad) return true;
  return false;
}

mien_node *mien_record(const char *name, mien_backward_fn backward, int n, mien_tensor *const *inputs, mien_tensor *out) {
  if (!mien_needs_record(n, inputs)) return NULL;
  mien_node *node = calloc(1, sizeof *node);
  if (!node) return NULL; /* out of memory: the output simply has no history */
  node->refcount = 1;
  node->name = name;
  node->backward = backward;
  node->seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
  node->ninputs = n;
  for (int k = 0; k < n; k++) {
    mien_tensor *t = inputs[k];
    if (!t) continue;
    node->in_ndim[k] = t->ndim;
    memcpy(node->in_shape[k], t->shape, sizeof(int64_t) * t->ndim);
    node->in_dtype[k] = t->dtype;
    if (!t->requires_grad) continue;
    if (t->grad_fn) {
      node->edge_fn[k] = t->grad_fn;
      node_retain(t->grad_fn);
    } else {
      node->edge_leaf[k] = mien_retain(t);
    }
  }
  out->grad_fn = node;
  out->requires_grad = true;
  return node;
}

void mien_node_save(mien_node *node, int slot, mien_tensor *t) { node->saved[slot] = mien_retain(t); }

void mien_node_save_detached(mien_node *node, int slot, mien_tensor *t) { node->saved[slot] = mien_detach(t); }

bool mien_node_needs_grad(const mien_node *node, int input) {
  return node->edge_fn[input] != NULL || node->edge_leaf[input] != NULL;
}

static void free_saved(mien_node *node) {
  for (int k = 0; k < MIEN_NODE_MAX_SAVED; k++) {
    mien_release(node->saved[k]);
    node->saved[k] = NULL;
  }
  if (node->ctx && node->free_ctx) node->free_ctx(node->ctx);
  node->ctx = NULL;
}

void mien_node_release(mien_node *node) {
  /* iterative over a list of nodes whose last reference went, so a long
   * chain does not overflow the C stack, whichever input it runs through.
   * Saved tensors go first: they are inputs whose nodes this node's edges
   * still hold, so releasing them never starts a deep nested release. */
  if (!node || node_unref(node) > 0) return;
  mien_node *local[32], **todo = local;
  int64_t n = 0, cap = 32;
  todo[n++] = node;
  while (n > 0) {
    mien_node *cur = todo[--n];
    free_saved(cur);
    mien_release(cur->pending);
    for (int k = 0; k < cur->ninputs; k++) {
      mien_release(cur->edge_leaf[k]);
      mien_node *up = cur->edge_fn[k];
      if (!up || node_unref(up) > 0) continue;
      if (n == cap) {
        mien_node **grown = malloc(sizeof *grown * (size_t)cap * 2);
        if (!grown) { /* out of memory: fall back to recursing on this one */
          up->refcount = 1;
          mien_node_release(up);
          continue;
        }
        memcpy(grown, todo, sizeof *grown * (size_t)n);
        if (todo != local) free(todo);
        todo = grown;
        cap *= 2;
      }
      todo[n++] = up;
    }
    free(cur);
  }
  if (todo != local) free(todo);
}

/* Adds g into *slot (taking ownership of g). */
static int accumulate(mien_tensor **slot, mien_tensor *g) {
  if (!*slot) {
    *slot = g;
    return 0;
  }
  int rc = mien_add_(*slot, g, 1.0);
  mien_release(g);
  return rc;
}

/* The same for a node's pending gradient, out of place: a backward function
 * may hand the same tensor to several inputs (add gives g to both sides), and
 * the seed may be the caller's own tensor, so *slot is never written to. */
static int accumulate_pending(mien_tensor **slot, mien_tensor *g) {
  if (!*slot) {
    *slot = g;
    return 0;
  }
  mien_tensor *sum = mien_binary(MIEN_ADD, *slot, g);
  mien_release(g);
  if (!sum) return -1;
  mien_release(*slot);
  *slot = sum;
  return 0;
}

static int by_seq_desc(const void *a, const void *b) {
  uint64_t x = (*(mien_node *const *)a)->seq, y = (*(mien_node *const *)b)->seq;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* All nodes reachable from root, each retained once. */
/* Each backward marks the nodes it has visited with a fresh epoch. */
static uint64_t visit_epoch;

static mien_node **collect(mien_node *root, int64_t *count) {
  uint64_t epoch = __atomic_add_fetch(&visit_epoch, 1, __ATOMIC_RELAXED);
  int64_t cap = 64, scap = 64, n = 0, top = 0;
  mien_node **out = malloc(sizeof *out * cap), **stack = malloc(sizeof *stack * scap);
  if (!out || !stack) goto oom;
  stack[top++] = root;
  root->pending = NULL;
  while (top > 0) {
    mien_node *node = stack[--top];
    if (node->visit == epoch) continue;
    node->visit = epoch;
    if (n == cap) {
      mien_node **grown = realloc(out, sizeof *out * cap * 2);
      if (!grown) goto oom;
      out = grown;
      cap *= 2;
    }
    /* a node can sit on the stack once per edge into it, so the stack
     * outgrows the list of distinct nodes: make room for this node's edges */
    if (top + MIEN_NODE_MAX_INPUTS > scap) {
      mien_node **gs = realloc(stack, sizeof *stack * scap * 2);
      if (!gs) goto oom;
      stack = gs;
      scap *= 2;
    }
    out[n++] = node;
    node_retain(node);
    for (int k = 0; k < node->ninputs; k++)
      if (node->edge_fn[k]) stack[top++] = node->edge_fn[k];
  }
  free(stack);
  *count = n;
  return out;
oom:
  free(out);
  free(stack);
  mien_set_error("backward: out of memory");
  return NULL;
}

static mien_tensor *leaf_grad_copy(mien_tensor *g) {
  /* a leaf keeps its own contiguous copy: g may be a view of something else */
  mien_tensor *c = mien_clone(g);
  mien_release(g);
  return c;
}

/* A gradient has the dtype of the tensor it is for (an op may mix float32
 * and float64 inputs; the backward kernels read saved inputs as g's type). */
static mien_tensor *as_dtype(mien_tensor *g, mien_dtype dtype) {
  if (!g || g->dtype == dtype) return g;
  mien_tensor *c = mien_to_dtype(g, dtype);
  mien_release(g);
  return c;
}

int mien_backward(mien_tensor *root, mien_tensor *grad, bool retain_graph) {
  if (!root->requires_grad) {
    mien_set_error("backward: the tensor does not require grad (no parameter or input with requires_grad led to it)");
    return -1;
  }
  mien_tensor *seed;
  if (grad) {
    if (!mien_same_shape(grad, root)) {
      char a[128], b[128];
      mien_set_error("backward: gradient shape %s does not match tensor shape %s", mien_shape_str(grad, a, sizeof a),
                     mien_shape_str(root, b, sizeof b));
      return -1;
    }
    seed = mien_to_dtype(grad, root->dtype);
  } else {
    if (mien_numel(root) != 1) {
      char a[128];
      mien_set_error("backward: a gradient must be given for a non-scalar tensor of shape %s",
                     mien_shape_str(root, a, sizeof a));
      return -1;
    }
    seed = mien_full(root->ndim, root->shape, 1.0, root->dtype, mien_tensor_device(root));
  }
  if (!seed) return -1;
  bool was = mien_set_grad_enabled(false);
  int rc = 0;
  if (!root->grad_fn) { /* a leaf */
    rc = accumulate(&root->grad, leaf_grad_copy(seed));
    mien_set_grad_enabled(was);
    return rc;
  }
  int64_t count;
  mien_node **nodes = collect(root->grad_fn, &count);
  if (!nodes) {
    mien_release(seed);
    mien_set_grad_enabled(was);
    return -1;
  }
  qsort(nodes, (size_t)count, sizeof *nodes, by_seq_desc);
  root->grad_fn->pending = seed;
  for (int64_t k = 0; k < count && rc == 0; k++) {
    mien_node *node = nodes[k];
    mien_tensor *g = node->pending;
    node->pending = NULL;
    if (!g) continue;
    if (node->released) {
      mien_set_error("backward: trying to go through the graph of '%s' a second time; its buffers were freed "
                     "(use retain_graph=true on the first backward)", node->name);
      mien_release(g);
      rc = -1;
      break;
    }
    mien_tensor *gin[MIEN_NODE_MAX_INPUTS] = {0};
    rc = node->backward(node, g, gin);
    mien_release(g);
    for (int i = 0; i < node->ninputs; i++) {
      if (!gin[i]) continue;
      if (rc != 0 || !mien_node_needs_grad(node, i)) {
        mien_release(gin[i]);
        continue;
      }
      mien_tensor *gi = as_dtype(gin[i], node->in_dtype[i]);
      if (!gi) rc = -1;
      else if (node->edge_fn[i]) rc = accumulate_pending(&node->edge_fn[i]->pending, gi);
      else rc = accumulate(&node->edge_leaf[i]->grad, leaf_grad_copy(gi));
    }
    if (rc != 0) {
      char msg[1024];
      strncpy(msg, mien_last_error(), sizeof msg - 1);
      msg[sizeof msg - 1] = '\0';
      mien_set_error("backward of %s: %s", node->name, msg);
    }
    if (!retain_graph) {
      free_saved(node);
      node->released = true;
    }
  }
  for (int64_t k = 0; k < count; k++) {
    mien_release(nodes[k]->pending);
    nodes[k]->pending = NULL;
    mien_node_release(nodes[k]);
  }
  free(nodes);
  mien_set_grad_enabled(was);
  return rc;
}
