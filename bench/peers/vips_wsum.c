/* The libvips peer of `tessera wsum`, through its C API: the weighted sum of
 * N images, rounded to nearest and cast to uint8, saved as an uncompressed
 * striped TIFF. Sequential access and default threads, as libvips recommends
 * for streaming.
 *
 *   vips_wsum OUT.tif w1,w2,... IN1.tif IN2.tif ...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

int main(int argc, char **argv) {
  if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
  if (argc < 4) {
    fprintf(stderr, "usage: %s OUT w1,w2,... IN...\n", argv[0]);
    return 2;
  }
  const int n = argc - 3;
  double *weights = calloc(n, sizeof(double));
  char *list = strdup(argv[2]);
  int k = 0;
  for (char *tok = strtok(list, ","); tok && k < n; tok = strtok(NULL, ",")) weights[k++] = atof(tok);
  if (k != n) {
    fprintf(stderr, "%d weights for %d images\n", k, n);
    return 2;
  }
  VipsImage **terms = calloc(n, sizeof(VipsImage *));
  for (int i = 0; i < n; i++) {
    VipsImage *in = vips_image_new_from_file(argv[3 + i], "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!in || vips_linear1(in, &terms[i], weights[i], 0.0, NULL)) vips_error_exit(NULL);
    g_object_unref(in);
  }
  VipsImage *sum, *rounded, *out;
  if (vips_sum(terms, &sum, n, NULL)) vips_error_exit(NULL);
  if (vips_round(sum, &rounded, VIPS_OPERATION_ROUND_RINT, NULL)) vips_error_exit(NULL);
  if (vips_cast_uchar(rounded, &out, NULL)) vips_error_exit(NULL);
  if (vips_tiffsave(out, argv[1], NULL)) vips_error_exit(NULL);
  g_object_unref(out);
  g_object_unref(rounded);
  g_object_unref(sum);
  for (int i = 0; i < n; i++) g_object_unref(terms[i]);
  free(terms);
  free(weights);
  free(list);
  vips_shutdown();
  return 0;
}
