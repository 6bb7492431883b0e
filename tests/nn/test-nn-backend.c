/* tests/nn/test-nn-backend.c — choosing backends by name, the probe, convolution shape
 * arithmetic and the refusal of unsupported shapes, tensor allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nn/backend.h"
#include "nn/tensor.h"

static void backends_are_found_by_name(void **state) {
  (void)state;
  lt_error err = {{0}};
  const lt_backend *cpu = lt_backend_get("cpu", &err), *ref = lt_backend_get("ref", &err);
  assert_non_null(cpu);
  assert_non_null(ref);
  assert_string_equal(cpu->name, "cpu");
  assert_string_equal(ref->name, "ref");
  assert_ptr_equal(lt_backend_default(), cpu);
  const char *const *names = lt_backend_names();
  assert_string_equal(names[0], "cpu");
  assert_string_equal(names[1], "ref");
  assert_null(names[2]);
}

static void unknown_and_unbuilt_backends_are_refused_with_a_message(void **state) {
  (void)state;
  lt_error err = {{0}};
  assert_null(lt_backend_get("tpu", &err));
  assert_non_null(strstr(err.msg, "unknown backend \"tpu\""));
  assert_null(lt_backend_get("cuda", &err));
  assert_non_null(strstr(err.msg, "not built"));
  assert_null(lt_backend_get(NULL, &err));
}

static void cpu_probe_names_onednn_version(void **state) {
  (void)state;
  char info[256] = "";
  lt_error err = {{0}};
  assert_int_equal(lt_backend_cpu.probe(info, sizeof info, &err), 0);
  printf("cpu backend: %s\n", info);
  assert_non_null(strstr(info, "oneDNN 2."));
  assert_int_equal(lt_backend_ref.probe(info, sizeof info, &err), 0);
}

static void conv_shapes_follow_the_size_formulas(void **state) {
  (void)state;
  lt_conv_desc d = lt_conv_desc_make(LT_CONV, 2, 16, 32, 64, 63, 5, 3, 2);
  assert_int_equal(d.pad, 1);
  assert_int_equal(lt_conv_desc_check(&d, NULL), 0);
  lt_shape o = lt_conv_out_shape(&d);
  assert_int_equal(o.n, 2);
  assert_int_equal(o.d, 32);
  assert_int_equal(o.h, 32); /* (63 + 2 - 3) / 2 + 1 */
  assert_int_equal(o.w, 3);
  assert_int_equal(o.c, 32);
  assert_int_equal(lt_conv_weight_count(&d), 32 * 16 * 27);
  d = lt_conv_desc_make(LT_CONV_TRANSPOSED, 1, 128, 64, 8, 8, 8, 2, 2);
  assert_int_equal(d.pad, 0);
  o = lt_conv_out_shape(&d);
  assert_int_equal(o.d, 16);
  assert_int_equal(o.c, 64);
  assert_true(lt_conv_flops(&d) == 2.0 * 512 * 128 * 64 * 8);
  d = lt_conv_desc_make(LT_CONV, 1, 2, 16, 64, 64, 64, 3, 1);
  assert_int_equal(lt_conv_out_shape(&d).d, 64);
  assert_true(lt_conv_flops(&d) == 2.0 * 262144 * 2 * 16 * 27);
  d = lt_conv_desc_make(LT_CONV, 1, 129, 128, 16, 16, 16, 1, 1);
  assert_int_equal(lt_conv_out_shape(&d).d, 16);
}

static void unsupported_conv_shapes_are_refused_by_both_backends(void **state) {
  (void)state;
  lt_conv_desc bad[6];
  bad[0] = lt_conv_desc_make(LT_CONV, 1, 2, 16, 8, 8, 8, 5, 1);
  bad[1] = lt_conv_desc_make(LT_CONV, 1, 2, 16, 8, 8, 8, 3, 3);
  bad[2] = lt_conv_desc_make(LT_CONV_TRANSPOSED, 1, 2, 16, 8, 8, 8, 3, 2);
  bad[3] = lt_conv_desc_make(LT_CONV, 0, 2, 16, 8, 8, 8, 3, 1);
  bad[4] = lt_conv_desc_make(LT_CONV, 1, 2, -4, 8, 8, 8, 3, 1);
  bad[5] = lt_conv_desc_make(LT_CONV, 1, 2, 16, 8, 8, 8, 1, 2);
  const lt_backend *bes[2] = {&lt_backend_cpu, &lt_backend_ref};
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < 6; i++) {
      lt_error err = {{0}};
      lt_conv *c = (lt_conv *)&err; /* must be reset to NULL */
      assert_int_equal(bes[b]->conv_create(&c, &bad[i], &err), -1);
      assert_null(c);
      assert_true(strlen(err.msg) > 0);
    }
}

static void tensors_allocate_zero_and_free(void **state) {
  (void)state;
  lt_error err = {{0}};
  lt_tensor t;
  lt_shape s = lt_shape_make(2, 3, 4, 5, 6);
  assert_int_equal(lt_shape_count(s), 720);
  assert_int_equal(lt_shape_spatial(s), 60);
  assert_int_equal(lt_tensor_zeros(&t, &lt_backend_cpu, s, &err), 0);
  assert_true(((uintptr_t)t.data % 64) == 0);
  for (size_t i = 0; i < 720; i++) assert_true(t.data[i] == 0.0f);
  lt_tensor_free(&t, &lt_backend_cpu);
  assert_null(t.data);
  assert_int_equal(lt_tensor_alloc(&t, &lt_backend_cpu, lt_shape_make(1, 0, 4, 4, 4), &err), -1);
  assert_non_null(strstr(err.msg, "not valid"));
  assert_null(t.data);
  lt_tensor_free(&t, &lt_backend_cpu);
  assert_int_equal(lt_shape_valid(lt_shape_make(1 << 30, 1 << 30, 1 << 30, 1 << 30, 8)), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(backends_are_found_by_name),
      cmocka_unit_test(unknown_and_unbuilt_backends_are_refused_with_a_message),
      cmocka_unit_test(cpu_probe_names_onednn_version),
      cmocka_unit_test(conv_shapes_follow_the_size_formulas),
      cmocka_unit_test(unsupported_conv_shapes_are_refused_by_both_backends),
      cmocka_unit_test(tensors_allocate_zero_and_free),
  };
  return cmocka_run_group_tests_name("nn_backend_selection_and_shapes", tests, NULL, NULL);
}
