/* engine/model/metrics.h — evaluation measures of the paper's Table 1 and of the auxiliary tasks.
 * Classification at a threshold (0.5 in the paper): Accuracy, AUC (ties count one half, as the
 * Mann-Whitney statistic), F1, Sensitivity, Specificity, Precision and benign Precision (the
 * precision of the benign class: TN / (TN + FN)). A ratio with an empty denominator is 0 (as
 * scikit-learn's zero_division default); AUC with one class absent is NaN. Dice of a
 * thresholded segmentation, attribute mean absolute error, mean and sample sd over folds.
 * Label 1 = malignant. It reads arrays only; it knows no model or files. */
#ifndef LT_MODEL_METRICS_H
#define LT_MODEL_METRICS_H

#include <stddef.h>

typedef struct {
  int n, tp, fp, tn, fn;
  double accuracy, auc, f1, sensitivity, specificity, precision, precision_benign;
} lt_cls_metrics;

/* prob[i] in [0, 1], label[i] in {0, 1}; predicted malignant when prob >= threshold. */
void lt_metrics_classification(lt_cls_metrics *out, const float *prob, const int *label, int n,
                               double threshold);
/* Area under the ROC curve of score against label; NaN with one class absent. */
double lt_auc(const float *score, const int *label, int n);
/* Dice of (pred >= thr) against (mask >= 0.5) over n voxels; 1 when both are empty. */
double lt_dice(const float *pred, const float *mask, size_t n, float thr);
/* Mean absolute error over n samples of k attributes (row-major (n, k)); per_attr (k) may be
 * NULL. Returns the mean over all n * k values (NaN when n * k = 0). */
double lt_attr_mae(const float *pred, const float *target, int n, int k, double *per_attr);
/* Mean and sample standard deviation (n - 1; 0 when n < 2) of n values. */
void lt_mean_sd(const double *x, int n, double *mean, double *sd);

#endif
