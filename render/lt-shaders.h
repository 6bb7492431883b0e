/* render/lt-shaders.h — GLSL 3.30 core sources of the two programs: the slice (volume
 * sampling, window/level, voxel overlays: reader and model outlines, Grad-CAM) and the HUD
 * (flat quads and glyphs in screen pixels). Kept as C strings so render/ needs no resource
 * system and the offscreen tests use exactly what the GUI uses. */
#ifndef LT_SHADERS_H
#define LT_SHADERS_H

extern const char lt_shader_slice_vs[];
extern const char lt_shader_slice_fs[];
extern const char lt_shader_hud_vs[];
extern const char lt_shader_hud_fs[];

#endif
