/* Reverse-mode autograd. Every differentiable op records a node when grad
 * mode is on and an input requires grad. A node holds one edge per input
 * (to the input's own node, or to the leaf tensor whose .grad accumulates),
 * the tensors its backward needs, and a few op parameters. Outputs are saved
 * detached, so a node never keeps its own output alive (no cycles). */
#ifndef MIEN_AUTOGRAD_H
#define MIEN_AUTOGRAD_H

#include <stdbool.h>
#include <stdint.h>

#include "tensor.h"

#define MIEN_NODE_MAX_INPUTS 4
#define MIEN_NODE_MAX_SAVED 6

typedef struct mien_node mien_node;

/* Writes grad_in[i] (a new reference, or NULL) for each input i that
 * mien_node_needs_grad(n, i); grad_in[i] has the input's shape. */
typedef int (*mien_backward_fn)(mien_node *n, mien_tensor *grad_out, mien_tensor **grad_in);

struct mien_node {
  int refcount;
  const char *name;
  mien_backward_fn backward;
  uint64_t seq; /* creation order: consumers always come after producers */
  int ninputs;
  struct mien_node *edge_fn[MIEN_NODE_MAX_INPUTS];  /* non-leaf input */
  mien_tensor *edge_leaf[MIEN_NODE_MAX_INPUTS];     /* leaf input that requires grad */
  mien_tensor *saved[MIEN_NODE_MAX_SAVED];
  int64_t in_shape[MIEN_NODE_MAX_INPUTS][MIEN_MAX_DIMS];
  int in_ndim[MIEN_NODE_MAX_INPUTS];
  mien_dtype in_dtype[MIEN_NODE_MAX_INPUTS];
  double f[8];   /* op parameters */
  int64_t i[16];
  void *ctx;
  void (*free_ctx)(void *);
  mien_tensor *pending; /* gradient gathered during backward */
  uint64_t visit;       /* the last backward that reached this node */
  bool released;
};

bool mien_grad_enabled(void);
bool mien_set_grad_enabled(bool on); /* returns the previous setting */

/* Whether an op on these inputs must be recorded. */
bool mien_needs_record(int n, mien_tensor *const *inputs);
/* Records a node for `out` if needed (returns NULL when not). The caller then
 * saves tensors with mien_node_save and fills f/i. */
mien_node *mien_record(const char *name, mien_backward_fn backward, int n, mien_tensor *const *inputs, mien_tensor *out);
void mien_node_save(mien_node *node, int slot, mien_tensor *t);        /* retains t */
void mien_node_save_detached(mien_node *node, int slot, mien_tensor *t); /* for outputs */
bool mien_node_needs_grad(const mien_node *node, int input);
void mien_node_release(mien_node *node);

/* Backward from `root`; grad may be NULL when root has one element. */
int mien_backward(mien_tensor *root, mien_tensor *grad, bool retain_graph);

#endif
