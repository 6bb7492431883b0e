/* engine/model/config.h — the one configuration struct of the collaborative model.
 *
 * Every architectural switch and loss setting of DESIGN section 3 (and the paper's ablation,
 * Table 1 rows 3-9) is a field here; the model, the losses, the trainer and the weights file
 * all read this struct. JSON (de)serialisation (stored in the weights file's metadata) and
 * named presets. Validation says in one line what is inconsistent.
 * It builds no model and allocates nothing. */
#ifndef LT_MODEL_CONFIG_H
#define LT_MODEL_CONFIG_H

#include <stdbool.h>

#include "lt-error.h"

#define LT_N_ATTRIBUTES 6 /* subtlety, sphericity, margin, lobulation, spiculation, malignancy */

/* The attributes' names in that order, as the manifests, the JSON and the CSV outputs spell
 * them. */
extern const char *const lt_attribute_names[LT_N_ATTRIBUTES];

typedef enum {
  LT_DEBUG_OFF = 0,  /* no debug term; Grad-CAM is still computed for display */
  LT_DEBUG_GRADCAM,  /* Eq. 4 on Grad-CAM (the paper's method) */
  LT_DEBUG_CAM,      /* Eq. 4 on plain CAM: the classifier is one linear layer on pooled f */
} lt_debug_mode;

typedef enum {
  LT_DEBUG_ON_SURE = 0, /* the paper writes L_debug for sure samples */
  LT_DEBUG_ON_UNSURE,
  LT_DEBUG_ON_ALL,
} lt_debug_samples;

typedef enum {
  LT_ARCH_COLLABORATIVE = 0, /* DESIGN section 3: encoder, decoder, fusion, two heads */
  LT_ARCH_RESNET,            /* Table 1 row 1: a 3D ResNet classifier (no decoder, no
                              * attributes, no segmentation); see params.h for its layers */
} lt_model_arch;

typedef struct {
  /* Architecture */
  lt_model_arch arch;   /* JSON "arch", absent = collaborative (files before the switch) */
  int width;            /* w: stage widths w, 2w, 4w, 8w; default 16 */
  int input_size;       /* patch side (64); divisible by 8 */
  int in_channels;      /* 2: lung and mediastinal windows; 4: also both at twice the resolution
                         * over the central 16 mm (the fovea, model/input.h; train --fovea) */
  int groups;           /* GroupNorm groups (8); must divide w */
  int stage_convs[4];   /* (collaborative only) extra stride-1 3x3x3 convolutions in each encoder stage after its
                         * first one (E1's 2 -> w, E2-E4's stride-2): default {0, 1, 1, 1} */
  int dec_convs[2];     /* 3x3x3 convolutions after the skip addition at D3 (16^3), D2 (32^3): {1, 1} */
  int hidden;           /* FC width of both branches (256) */
  bool attributes;      /* regression branch on */
  bool concat;          /* classifier sees [c; a] (needs attributes) */
  bool malignancy_only; /* regress only the malignancy rating (1 output instead of 6) */
  bool mask_pool;       /* the heads see f averaged inside the predicted nodule beside f's mean
                         * (collaborative only, not with CAM debugging): the input of reg1,
                         * cls1 is [mean of f; sum_q w_q f_q / sum_q w_q], w = the segmentation
                         * pooled to the fusion grid plus 1e-6. JSON "mask_pool", absent = off */
  lt_debug_mode debug;
  /* Losses */
  double lambda;           /* hinge margin of Eq. 4 (0.5); also the trust-check margin */
  double debug_weight;     /* multiplier of L_debug in the joint loss (1) */
  double attr_weight;      /* multiplier of the attribute MSE in the joint loss (1, the paper's:
                            * the MSE is a mean over the 6 ratings, so each rating's error
                            * weighs a sixth of one sample's BCE) */
  bool debug_coef_grad;    /* differentiate |x_c - 0.5| (false: treat it as a weight) */
  lt_debug_samples debug_on;
  double dice_smooth;      /* theta of Eq. 1 (1) */
  /* Optimiser */
  double lr;               /* Adam learning rate (1e-3) */
} lt_model_config;

/* The default: DESIGN section 3, w = 16, attributes + concatenation + Grad-CAM debugging
 * (Table 1 row 9). */
void lt_model_config_default(lt_model_config *c);

/* Named presets: "default" (= "attr+concat+debug"), "basic" (row 3), "attr" (row 4),
 * "debug" (row 5), "attr+debug" (row 6), "mal+debug-cam" (row 7), "attr+concat" (row 8),
 * "tiny" (w = 8, 16^3 input, hidden 16: for tests), "resnet" (row 1: the 3D ResNet baseline,
 * w = 16, BCE only), "resnet-tiny" (its test size: w = 8, 16^3, hidden 16).
 * Returns -1 for an unknown name. */
int lt_model_config_preset(lt_model_config *c, const char *name, lt_error *err);
/* NULL-terminated list of preset names. */
const char *const *lt_model_config_preset_names(void);

/* Consistency: sizes positive, input divisible by 8, groups divide w, concat needs attributes,
 * CAM needs concat off, the ResNet has no attribute branch, ... */
int lt_model_config_validate(const lt_model_config *c, lt_error *err);

/* Number of regression outputs (6, 1 with malignancy_only, 0 without attributes). */
int lt_model_config_n_attr(const lt_model_config *c);
/* Side of the fusion map f (input_size / 4) and its channels (8w). */
int lt_model_config_fusion_side(const lt_model_config *c);
int lt_model_config_fusion_channels(const lt_model_config *c);
/* Width of the heads' input: K = 8w, or 2K with mask_pool. */
int lt_model_config_head_inputs(const lt_model_config *c);

/* JSON text (caller frees with free()); NULL when out of memory. */
char *lt_model_config_to_json(const lt_model_config *c);
/* Parses JSON written by lt_model_config_to_json; missing keys keep the defaults, unknown
 * keys and wrong types are errors. Validates the result. */
int lt_model_config_from_json(lt_model_config *c, const char *json, lt_error *err);

bool lt_model_config_equal(const lt_model_config *a, const lt_model_config *b);

const char *lt_debug_mode_name(lt_debug_mode m);
/* "collaborative", "resnet". */
const char *lt_model_arch_name(lt_model_arch a);
/* true for the collaborative model (decoder, segmentation, attributes possible). */
bool lt_model_config_has_seg(const lt_model_config *c);

#endif
