/* render/lt-shaders.h — GLSL 3.30 core sources: the slice (volume sampling, window/level),
 * the voxel overlays drawn on their screen rectangle (label outlines for readers, consensus and
 * the model; the Grad-CAM heatmap) and the HUD (flat quads and glyphs in screen pixels). Kept as C strings so render/ needs no resource
 * system and the offscreen tests use exactly what the GUI uses. */
#ifndef LT_SHADERS_H
#define LT_SHADERS_H

extern const char lt_shader_slice_vs[];
extern const char lt_shader_extract_fs[];
extern const char lt_shader_slice_fs[];
extern const char lt_shader_rect_vs[];
extern const char lt_shader_label_fs[];
extern const char lt_shader_heat_fs[];
extern const char lt_shader_hud_vs[];
extern const char lt_shader_hud_fs[];

#endif
