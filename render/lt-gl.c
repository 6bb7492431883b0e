/* render/lt-gl.c — see lt-gl.h. */
#include "lt-gl.h"

#include <stdio.h>
#include <string.h>

int lt_gl_check_version(lt_error *err) {
  if (epoxy_is_desktop_gl() == 0) return lt_error_set(err, "OpenGL ES context; need desktop GL 3.3");
  int v = epoxy_gl_version();
  if (v < 33)
    return lt_error_set(err, "OpenGL %d.%d context; need 3.3 core or newer", v / 10, v % 10);
  return 0;
}

static GLuint compile(GLenum type, const char *src, const char *what, lt_error *err) {
  GLuint s = glCreateShader(type);
  glShaderSource(s, 1, &src, NULL);
  glCompileShader(s);
  GLint ok = 0;
  glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[200] = "";
    glGetShaderInfoLog(s, sizeof log, NULL, log);
    for (char *p = log; *p; p++)
      if (*p == '\n') *p = ' ';
    lt_error_set(err, "%s %s shader: %s", what, type == GL_VERTEX_SHADER ? "vertex" : "fragment",
                 log);
    glDeleteShader(s);
    return 0;
  }
  return s;
}

GLuint lt_gl_program(const char *vs, const char *fs, const char *what, lt_error *err) {
  GLuint v = compile(GL_VERTEX_SHADER, vs, what, err);
  if (!v) return 0;
  GLuint f = compile(GL_FRAGMENT_SHADER, fs, what, err);
  if (!f) {
    glDeleteShader(v);
    return 0;
  }
  GLuint p = glCreateProgram();
  glAttachShader(p, v);
  glAttachShader(p, f);
  glLinkProgram(p);
  glDeleteShader(v);
  glDeleteShader(f);
  GLint ok = 0;
  glGetProgramiv(p, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[200] = "";
    glGetProgramInfoLog(p, sizeof log, NULL, log);
    for (char *q = log; *q; q++)
      if (*q == '\n') *q = ' ';
    lt_error_set(err, "%s program link: %s", what, log);
    glDeleteProgram(p);
    return 0;
  }
  return p;
}
