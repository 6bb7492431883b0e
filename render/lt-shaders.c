/* render/lt-shaders.c — see lt-shaders.h.
 * Screen coordinates in the shaders are the API's: origin top-left, pixel centres at .5.
 * Every texture (the slice copy, labels, segmentation, heatmap) is reached through its own
 * affine map, a mat3 from (px, py, 1) to that texture's normalised coordinates, computed on the
 * CPU from lt_view and the grids' lt_geometry; so overlays on other grids (a 64^3 patch at
 * 0.5 mm) land where their millimetres say. */
#include "lt-shaders.h"

const char lt_shader_slice_vs[] =
    "#version 330 core\n"
    "void main() {\n"
    "  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));\n"
    "  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);\n"
    "}\n";

/* One slice of the volume copied at its own resolution into a 2D float texture in HU (texel
 * (a, b) = voxel a along the view's horizontal axis, b along its vertical one), redone only
 * when the slice changes; llvmpipe samples a 2D texture about twice as fast as a 3D one. */
const char lt_shader_extract_fs[] =
    "#version 330 core\n"
    "uniform mat3 u_m;\n" /* (texel x, texel y, 1) -> volume texture coordinates */
    "uniform sampler3D u_vol;\n"
    "out vec4 o_col;\n"
    "void main() {\n"
    "  o_col = vec4(texture(u_vol, u_m * vec3(gl_FragCoord.xy, 1.0)).r * 32767.0, 0.0, 0.0, 1.0);\n"
    "}\n";

const char lt_shader_slice_fs[] =
    "#version 330 core\n"
    "uniform float u_h;\n"
    "uniform mat3 u_m;\n" /* (px, py, 1) -> slice texture coordinates */
    "uniform sampler2D u_slice;\n"
    "uniform float u_lo, u_inv_w;\n"
    "uniform int u_invert;\n"
    "out vec4 o_col;\n"
    "void main() {\n"
    "  vec2 t = (u_m * vec3(gl_FragCoord.x, u_h - gl_FragCoord.y, 1.0)).xy;\n"
    "  float g = 0.0;\n"
    "  if (all(greaterThanEqual(t, vec2(0.0))) && all(lessThan(t, vec2(1.0)))) {\n"
    "    g = clamp((texture(u_slice, t).r - u_lo) * u_inv_w, 0.0, 1.0);\n"
    "    if (u_invert != 0) g = 1.0 - g;\n"
    "  }\n"
    "  o_col = vec4(g, g, g, 1.0);\n"
    "}\n";

/* Overlays are drawn on a rectangle around their grid's footprint only (llvmpipe runs both
 * sides of a branch, so per-pixel cost must be paid only where an overlay can be). */
const char lt_shader_rect_vs[] =
    "#version 330 core\n"
    "uniform vec4 u_rect;\n" /* x0, y0, x1, y1 in screen pixels */
    "uniform vec2 u_vp;\n"
    "void main() {\n"
    "  vec2 p = vec2((gl_VertexID & 1) != 0 ? u_rect.z : u_rect.x,\n"
    "                (gl_VertexID & 2) != 0 ? u_rect.w : u_rect.y);\n"
    "  gl_Position = vec4(p.x / u_vp.x * 2.0 - 1.0, 1.0 - p.y / u_vp.y * 2.0, 0.0, 1.0);\n"
    "}\n";

#define LT_SHADER_COMMON \
  "const vec2 dirs[8] = vec2[8](vec2(1.0, 0.0), vec2(-1.0, 0.0), vec2(0.0, 1.0),\n" \
  "  vec2(0.0, -1.0), vec2(0.7071, 0.7071), vec2(-0.7071, 0.7071), vec2(0.7071, -0.7071),\n" \
  "  vec2(-0.7071, -0.7071));\n" \
  "bool inside(vec3 t) {\n" \
  "  return all(greaterThanEqual(t, vec3(0.0))) && all(lessThan(t, vec3(1.0)));\n" \
  "}\n"

/* Label bits (readers, consensus; or the model's 0/1 mask): an inner outline u_w pixels wide
 * of every bit in u_mask, the lowest bit's colour on top, bits in u_dash dashed. */
const char lt_shader_label_fs[] =
    "#version 330 core\n"
    "uniform float u_h;\n"
    "uniform usampler3D u_lab;\n"
    "uniform mat3 u_m;\n"
    "uniform vec4 u_col[8];\n"
    "uniform int u_mask, u_dash;\n"
    "uniform float u_w;\n"
    "out vec4 o_col;\n"
    LT_SHADER_COMMON
    "uint fetch_bits(vec3 t) { return inside(t) ? texture(u_lab, t).r : 0u; }\n"
    "void main() {\n"
    "  vec3 p = vec3(gl_FragCoord.x, u_h - gl_FragCoord.y, 1.0);\n"
    "  uint here = fetch_bits(u_m * p) & uint(u_mask);\n"
    "  if (here == 0u) discard;\n"
    "  uint e = 0u;\n"
    "  for (int d = 0; d < 8; d++)\n"
    "    e |= here & ~fetch_bits(u_m * vec3(p.xy + dirs[d] * u_w, 1.0));\n"
    "  bool dash_on = mod(floor((0.8 * p.x + 0.6 * p.y) / 4.0), 2.0) < 1.0;\n"
    "  if (!dash_on) e &= ~uint(u_dash);\n"
    "  if (e == 0u) discard;\n"
    "  int b = 0;\n"
    "  while (b < 7 && (e & (1u << uint(b))) == 0u) b++;\n"
    "  o_col = u_col[b];\n"
    "}\n";

/* Grad-CAM: inferno where the value reaches the threshold, mixed by u_op; the box outlined. */
const char lt_shader_heat_fs[] =
    "#version 330 core\n"
    "uniform float u_h;\n"
    "uniform sampler3D u_heat;\n"
    "uniform sampler1D u_lut;\n"
    "uniform mat3 u_m;\n"
    "uniform float u_op, u_thr;\n"
    "uniform int u_box;\n"
    "uniform vec4 u_box_col;\n"
    "out vec4 o_col;\n"
    LT_SHADER_COMMON
    "void main() {\n"
    "  vec3 p = vec3(gl_FragCoord.x, u_h - gl_FragCoord.y, 1.0);\n"
    "  vec3 th = u_m * p;\n"
    "  if (!inside(th)) discard;\n"
    "  if (u_box != 0) {\n"
    "    bool edge = false;\n"
    "    for (int d = 0; d < 4; d++)\n"
    "      edge = edge || !inside(u_m * vec3(p.xy + dirs[d] * 1.5, 1.0));\n"
    "    if (edge) { o_col = u_box_col; return; }\n"
    "  }\n"
    "  float h = texture(u_heat, th).r;\n"
    "  if (h < u_thr) discard;\n"
    "  o_col = vec4(texture(u_lut, clamp(h, 0.0, 1.0)).rgb, u_op);\n"
    "}\n";

const char lt_shader_hud_vs[] =
    "#version 330 core\n"
    "layout(location = 0) in vec2 a_pos;\n"
    "layout(location = 1) in vec2 a_uv;\n"
    "layout(location = 2) in vec4 a_col;\n"
    "uniform vec2 u_vp;\n"
    "out vec2 v_uv;\n"
    "out vec4 v_col;\n"
    "void main() {\n"
    "  v_uv = a_uv;\n"
    "  v_col = a_col;\n"
    "  gl_Position = vec4(a_pos.x / u_vp.x * 2.0 - 1.0, 1.0 - a_pos.y / u_vp.y * 2.0, 0.0, 1.0);\n"
    "}\n";

const char lt_shader_hud_fs[] =
    "#version 330 core\n"
    "uniform sampler2D u_font;\n"
    "in vec2 v_uv;\n"
    "in vec4 v_col;\n"
    "out vec4 o_col;\n"
    "void main() {\n"
    "  float a = texture(u_font, v_uv).r;\n"
    "  o_col = vec4(v_col.rgb, v_col.a * a);\n"
    "}\n";
