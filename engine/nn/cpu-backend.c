/* engine/nn/cpu-backend.c — the "cpu" backend table: oneDNN convolutions (cpu-dnnl.c) and the
 * OpenMP layers (cpu-layers.c) on host memory. */
#include "nn/backend.h"
#include "nn/cpu-dnnl.h"
#include "nn/cpu-layers.h"
#include "nn/host-memory.h"

const lt_backend lt_backend_cpu = {
    .name = "cpu",
    .probe = lt_dnnl_probe,
    .alloc = lt_host_alloc,
    .free = lt_host_free,
    .copy = lt_host_copy,
    .zero = lt_host_zero,
    .sync = lt_host_sync,
    .conv_create = lt_dnnl_conv_create,
    .conv_destroy = lt_dnnl_conv_destroy,
    .conv_impl = lt_dnnl_conv_impl,
    .conv_forward = lt_dnnl_conv_forward,
    .conv_backward_data = lt_dnnl_conv_backward_data,
    .conv_backward_weights = lt_dnnl_conv_backward_weights,
    .gn_relu_forward = lt_cpu_gn_relu_forward,
    .gn_relu_backward = lt_cpu_gn_relu_backward,
    .global_avg_pool_forward = lt_cpu_global_avg_pool_forward,
    .global_avg_pool_backward = lt_cpu_global_avg_pool_backward,
    .avg_pool_forward = lt_cpu_avg_pool_forward,
    .avg_pool_backward = lt_cpu_avg_pool_backward,
    .fc_forward = lt_cpu_fc_forward,
    .fc_backward = lt_cpu_fc_backward,
    .relu_forward = lt_cpu_relu_forward,
    .relu_backward = lt_cpu_relu_backward,
    .sigmoid_forward = lt_cpu_sigmoid_forward,
    .sigmoid_backward = lt_cpu_sigmoid_backward,
    .add = lt_cpu_add,
    .concat_forward = lt_cpu_concat_forward,
    .concat_backward = lt_cpu_concat_backward,
    .gn_forward = lt_cpu_gn_forward,
    .gn_backward = lt_cpu_gn_backward,
};
