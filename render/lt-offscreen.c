/* render/lt-offscreen.c — see lt-offscreen.h. */
#include "lt-offscreen.h"

#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lt_offscreen {
  EGLDisplay dpy;
  EGLContext ctx;
  GLuint fbo, rb;
  int w, h;
  char desc[256];
};

typedef EGLDisplay (*get_platform_display_fn)(EGLenum, void *, const EGLint *);

lt_offscreen *lt_offscreen_new(int width, int height, lt_error *err) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
    lt_error_set(err, "offscreen: bad size %dx%d", width, height);
    return NULL;
  }
  get_platform_display_fn gpd =
      (get_platform_display_fn)eglGetProcAddress("eglGetPlatformDisplayEXT");
  if (!gpd) {
    lt_error_set(err, "EGL: eglGetPlatformDisplayEXT not available");
    return NULL;
  }
  EGLDisplay dpy = gpd(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
  if (dpy == EGL_NO_DISPLAY) {
    lt_error_set(err, "EGL: no surfaceless Mesa display");
    return NULL;
  }
  EGLint major = 0, minor = 0;
  if (!eglInitialize(dpy, &major, &minor)) {
    lt_error_set(err, "EGL: eglInitialize failed (0x%x)", eglGetError());
    return NULL;
  }
  lt_offscreen *o = calloc(1, sizeof *o);
  if (!o) {
    eglTerminate(dpy);
    lt_error_set(err, "offscreen: out of memory");
    return NULL;
  }
  o->dpy = dpy;
  o->w = width;
  o->h = height;
  if (!eglBindAPI(EGL_OPENGL_API)) {
    lt_error_set(err, "EGL: desktop OpenGL API not available");
    goto fail;
  }
  const EGLint cattr[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
  EGLConfig cfg = NULL;
  EGLint n = 0;
  if (!eglChooseConfig(dpy, cattr, &cfg, 1, &n) || n < 1) cfg = NULL; /* EGL_KHR_no_config */
  const EGLint xattr[] = {EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
                          EGL_CONTEXT_OPENGL_PROFILE_MASK,
                          EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
  o->ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, xattr);
  if (o->ctx == EGL_NO_CONTEXT) {
    lt_error_set(err, "EGL: no GL 3.3 core context (0x%x)", eglGetError());
    goto fail;
  }
  if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, o->ctx)) {
    lt_error_set(err, "EGL: surfaceless make-current failed (0x%x)", eglGetError());
    goto fail;
  }
  glGenRenderbuffers(1, &o->rb);
  glBindRenderbuffer(GL_RENDERBUFFER, o->rb);
  glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
  glGenFramebuffers(1, &o->fbo);
  glBindFramebuffer(GL_FRAMEBUFFER, o->fbo);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, o->rb);
  if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
    lt_error_set(err, "offscreen: framebuffer incomplete");
    goto fail;
  }
  snprintf(o->desc, sizeof o->desc, "%s (%s)", (const char *)glGetString(GL_RENDERER),
           (const char *)glGetString(GL_VERSION));
  return o;
fail:
  lt_offscreen_free(o);
  return NULL;
}

void lt_offscreen_free(lt_offscreen *o) {
  if (!o) return;
  if (o->ctx != EGL_NO_CONTEXT && o->ctx) {
    eglMakeCurrent(o->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, o->ctx);
    if (o->fbo) glDeleteFramebuffers(1, &o->fbo);
    if (o->rb) glDeleteRenderbuffers(1, &o->rb);
    eglMakeCurrent(o->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(o->dpy, o->ctx);
  }
  /* The display stays initialised: eglTerminate would unload Mesa's driver with allocations
   * of its own still live, which LeakSanitizer then reports from an unknown module. A process
   * re-getting the display later gets the same, still initialised, one. */
  free(o);
}

void lt_offscreen_make_current(lt_offscreen *o) {
  eglMakeCurrent(o->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, o->ctx);
  glBindFramebuffer(GL_FRAMEBUFFER, o->fbo);
}

void lt_offscreen_read(lt_offscreen *o, uint8_t *rgba) {
  glBindFramebuffer(GL_FRAMEBUFFER, o->fbo);
  glFinish();
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, o->w, o->h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  size_t row = (size_t)o->w * 4;
  uint8_t *tmp = malloc(row);
  if (!tmp) return;
  for (int y = 0; y < o->h / 2; y++) {
    uint8_t *a = rgba + (size_t)y * row, *b = rgba + (size_t)(o->h - 1 - y) * row;
    memcpy(tmp, a, row);
    memcpy(a, b, row);
    memcpy(b, tmp, row);
  }
  free(tmp);
}

const char *lt_offscreen_renderer(lt_offscreen *o) { return o->desc; }
