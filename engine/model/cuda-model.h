/* engine/model/cuda-model.h — the model-level kernels the model and trainer can move to the GPU
 * (Grad-CAM sum, mask fraction, debug loss, the debug term into f and g, Dice, Adam), each with
 * its CPU twin named. Pointers are cuda-backend memory (nn/cuda/cuda-backend.h). C interface;
 * the code is CUDA (cuda-model.cu), built only with the cuda backend (LT_HAVE_CUDA). They live
 * beside the model, not in engine/nn, because they know the model's losses; nn/ knows layers
 * only. No layer and no backend choice here. */
#ifndef LT_MODEL_CUDA_MODEL_H
#define LT_MODEL_CUDA_MODEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* u[n] = sum_k g[k] f[n K + k]. CPU twin: lt_cam_weighted_sum (engine/model/gradcam.c). */
void lt_cuda_cam_weighted_sum(float *u, const float *f, const float *g, int N, int K);
/* fg[n K + k] += du[n] g[k] and dg[k] = sum_n du[n] f[n K + k] (the debug term into f and
 * into g). CPU twin: the two loops of lt_model_backward (engine/model/model.c). */
void lt_cuda_debug_into_f(float *fg, float *dg, const float *du, const float *g, const float *f,
                          int N, int K);
/* p[cell] = fraction of each k^3 cell's voxels with mask >= 0.5. CPU twin: lt_mask_fraction
 * (engine/model/gradcam.c). */
void lt_cuda_mask_fraction(float *p, const float *mask, int side, int k);
/* The debug loss of Eq. 4 with dL/du and the min-max CAM; the result on the host, its fields
 * those of lt_debug_result (engine/model/loss.h; status is its lt_debug_status value).
 * CPU twin: lt_loss_debug (engine/model/loss.c). */
typedef struct {
  int status;
  double hinge, mean_in, mean_out, loss;
} lt_cuda_debug_out;
void lt_cuda_debug_loss(lt_cuda_debug_out *r, float *du, float *cam, const float *u, float s,
                        const float *p, int N, double lambda, double coef);
/* Dice loss and dy. CPU twin: lt_loss_dice (engine/model/loss.c). Returns the loss. */
double lt_cuda_dice(const float *y, const float *g, size_t n, double theta, float *dy);
/* One Adam step with bias corrections for step (>= 1). CPU twin: lt_adam_step
 * (engine/train/adam.c); m and v as lt_adam's. */
void lt_cuda_adam_step(float *params, float *m, float *v, const float *grads, size_t n,
                       double lr, double beta1, double beta2, double eps, long step);

#ifdef __cplusplus
}
#endif

#endif
