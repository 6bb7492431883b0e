/* engine/ct/lidc.c — LIDC XML readings with libxml2 (see lidc.h). */
#include "ct/lidc.h"
#include "lt-locale.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

const char *const lt_lidc_char_names[LT_LIDC_NCHAR] = {
    "subtlety", "internalStructure", "calcification", "sphericity", "margin",
    "lobulation", "spiculation", "texture", "malignancy",
};
const int lt_lidc_char_max[LT_LIDC_NCHAR] = {5, 4, 6, 5, 5, 5, 5, 5, 5};

#define LT_LIDC_COORD_MAX 1e6
/* Parser options: no network, no entity expansion, no DTD loading, libxml2's own limits on
 * depth and text size (no XML_PARSE_HUGE), and errors kept in the context, not printed. */
#define LT_LIDC_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* libxml2 reports some faults (encoding conversion, I/O) on its generic error channel, which
 * prints on stderr even with XML_PARSE_NOERROR; while we parse, that channel is silenced (the
 * fault also ends the parse, and the context's last error makes our one line). */
static void silent_error(void *ctx, const char *msg, ...) {
  (void)ctx;
  (void)msg;
}

typedef struct {
  xmlGenericErrorFunc fn;
  void *ctx;
} saved_handler;

static saved_handler silence_libxml(void) {
  saved_handler h = {xmlGenericError, xmlGenericErrorContext};
  xmlSetGenericErrorFunc(NULL, silent_error);
  return h;
}

static void restore_libxml(saved_handler h) { xmlSetGenericErrorFunc(h.ctx, h.fn); }

/* LIDC readings carry no DOCTYPE, so a document with one is refused, and at its start: its
 * entities, even unexpanded by the parser, expand when the text is read (a few hundred KB of
 * nested references make gigabytes) and an external subset names a file to fetch. The parser
 * calls internalSubset for every <!DOCTYPE>, with or without an internal subset; we stop it
 * there and mark the context. */
static const char doctype_mark;

static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id) {
  (void)name;
  (void)external_id;
  (void)system_id;
  xmlParserCtxtPtr c = ctx;
  c->_private = (void *)&doctype_mark;
  xmlStopParser(c);
}

static xmlParserCtxtPtr new_parser(void) {
  xmlParserCtxtPtr c = xmlNewParserCtxt();
  if (c) c->sax->internalSubset = refuse_doctype;
  return c;
}

static bool is_elem(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name);
}

static int count_children(const xmlNode *parent, const char *name) {
  int c = 0;
  for (const xmlNode *n = parent->children; n; n = n->next)
    if (is_elem(n, name)) c++;
  return c;
}

static const xmlNode *first_child(const xmlNode *parent, const char *name) {
  for (const xmlNode *n = parent->children; n; n = n->next)
    if (is_elem(n, name)) return n;
  return NULL;
}

/* The element's text with surrounding white space removed, into buf (size n). -1 when it
 * does not fit. */
static int node_text(const xmlNode *node, char *buf, size_t n) {
  xmlChar *s = xmlNodeGetContent(node);
  const char *p = s ? (const char *)s : "";
  while (*p && isspace((unsigned char)*p)) p++;
  size_t len = strlen(p);
  while (len > 0 && isspace((unsigned char)p[len - 1])) len--;
  int rc = 0;
  if (len >= n) {
    rc = -1;
  } else {
    memcpy(buf, p, len);
    buf[len] = '\0';
  }
  xmlFree(s);
  return rc;
}

static int child_text(const xmlNode *parent, const char *name, char *buf, size_t n,
                      bool *found, lt_error *err) {
  const xmlNode *c = first_child(parent, name);
  buf[0] = '\0';
  if (found) *found = c != NULL;
  if (!c) return 0;
  if (node_text(c, buf, n) != 0)
    return lt_error_set(err, "<%s> on line %ld is longer than %zu characters", name,
                        xmlGetLineNo(c), n - 1);
  return 0;
}

static int parse_double(const char *s, double *v) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  double d = lt_strtod(s, &end); /* "-125.000000" under a comma locale too */
  if (*end || errno == ERANGE || !isfinite(d)) return -1;
  *v = d;
  return 0;
}

static int child_double(const xmlNode *parent, const char *name, double *v, bool required,
                        double limit, lt_error *err) {
  char buf[64];
  bool found;
  if (child_text(parent, name, buf, sizeof buf, &found, err) != 0) return -1;
  if (!found) {
    if (required)
      return lt_error_set(err, "<%s> on line %ld has no <%s>", (const char *)parent->name,
                          xmlGetLineNo(parent), name);
    *v = NAN;
    return 0;
  }
  if (parse_double(buf, v) != 0 || fabs(*v) > limit)
    return lt_error_set(err, "<%s> on line %ld is not a number within +-%g: '%s'", name,
                        xmlGetLineNo(parent), limit, buf);
  return 0;
}

static int parse_point(const xmlNode *node, lt_lidc_point *p, lt_error *err) {
  if (child_double(node, "xCoord", &p->x, true, LT_LIDC_COORD_MAX, err) != 0) return -1;
  return child_double(node, "yCoord", &p->y, true, LT_LIDC_COORD_MAX, err);
}

static int parse_uid(const xmlNode *parent, char *uid, lt_error *err) {
  return child_text(parent, "imageSOP_UID", uid, LT_UID_MAX, NULL, err);
}

static int parse_roi(const xmlNode *node, lt_lidc_roi *roi, lt_error *err) {
  if (child_double(node, "imageZposition", &roi->z, false, LT_LIDC_COORD_MAX, err) != 0) return -1;
  if (parse_uid(node, roi->sop_uid, err) != 0) return -1;
  char buf[16];
  bool found;
  if (child_text(node, "inclusion", buf, sizeof buf, &found, err) != 0) return -1;
  if (!found || !strcasecmp(buf, "TRUE")) {
    roi->inclusion = true; /* absent: an ordinary contour */
  } else if (!strcasecmp(buf, "FALSE")) {
    roi->inclusion = false;
  } else {
    return lt_error_set(err, "<inclusion> on line %ld is neither TRUE nor FALSE",
                        xmlGetLineNo(node));
  }
  int np = count_children(node, "edgeMap");
  if (np == 0)
    return lt_error_set(err, "<roi> on line %ld has no <edgeMap> point", xmlGetLineNo(node));
  roi->points = calloc((size_t)np, sizeof *roi->points);
  if (!roi->points) return lt_error_set(err, "out of memory");
  for (const xmlNode *c = node->children; c; c = c->next)
    if (is_elem(c, "edgeMap") && parse_point(c, &roi->points[roi->n_points++], err) != 0) return -1;
  return 0;
}

static int parse_characteristics(const xmlNode *node, lt_lidc_mark *m, lt_error *err) {
  for (int i = 0; i < LT_LIDC_NCHAR; i++) {
    char buf[32];
    bool found;
    if (child_text(node, lt_lidc_char_names[i], buf, sizeof buf, &found, err) != 0) return -1;
    if (!found || !buf[0]) continue;
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (*end || errno || v < 0 || v > lt_lidc_char_max[i])
      return lt_error_set(err, "<%s> on line %ld is not an integer from 0 to %d: '%s'",
                          lt_lidc_char_names[i], xmlGetLineNo(node), lt_lidc_char_max[i], buf);
    m->ratings[i] = (int)v;
    if (v > 0) m->has_characteristics = true;
  }
  return 0;
}

static int parse_mark(const xmlNode *node, lt_lidc_mark *m, lt_error *err) {
  bool found;
  if (child_text(node, "noduleID", m->id, sizeof m->id, &found, err) != 0) return -1;
  if (!found || !m->id[0])
    return lt_error_set(err, "<unblindedReadNodule> on line %ld has no <noduleID>",
                        xmlGetLineNo(node));
  const xmlNode *ch = first_child(node, "characteristics");
  if (ch && parse_characteristics(ch, m, err) != 0) return -1;
  int nr = count_children(node, "roi");
  if (nr > 0) {
    m->rois = calloc((size_t)nr, sizeof *m->rois);
    if (!m->rois) return lt_error_set(err, "out of memory");
  }
  for (const xmlNode *c = node->children; c; c = c->next)
    if (is_elem(c, "roi") && parse_roi(c, &m->rois[m->n_rois++], err) != 0) return -1;
  return 0;
}

static int parse_non_nodule(const xmlNode *node, lt_lidc_non_nodule *nn, lt_error *err) {
  if (child_text(node, "nonNoduleID", nn->id, sizeof nn->id, NULL, err) != 0) return -1;
  if (child_double(node, "imageZposition", &nn->z, false, LT_LIDC_COORD_MAX, err) != 0) return -1;
  if (parse_uid(node, nn->sop_uid, err) != 0) return -1;
  const xmlNode *locus = first_child(node, "locus");
  if (!locus)
    return lt_error_set(err, "<nonNodule> on line %ld has no <locus>", xmlGetLineNo(node));
  return parse_point(locus, &nn->locus, err);
}

static int parse_reader(const xmlNode *node, lt_lidc_reader *r, lt_error *err) {
  if (child_text(node, "servicingRadiologistID", r->radiologist_id, sizeof r->radiologist_id,
                 NULL, err) != 0 ||
      child_text(node, "annotationVersion", r->annotation_version,
                 sizeof r->annotation_version, NULL, err) != 0)
    return -1;
  int nm = count_children(node, "unblindedReadNodule");
  int nn = count_children(node, "nonNodule");
  if (nm > 0 && !(r->marks = calloc((size_t)nm, sizeof *r->marks)))
    return lt_error_set(err, "out of memory");
  if (nn > 0 && !(r->non_nodules = calloc((size_t)nn, sizeof *r->non_nodules)))
    return lt_error_set(err, "out of memory");
  for (const xmlNode *c = node->children; c; c = c->next) {
    if (is_elem(c, "unblindedReadNodule")) {
      if (parse_mark(c, &r->marks[r->n_marks++], err) != 0) return -1;
    } else if (is_elem(c, "nonNodule")) {
      if (parse_non_nodule(c, &r->non_nodules[r->n_non_nodules++], err) != 0) return -1;
    }
  }
  return 0;
}

static int parse_doc(const xmlNode *root, lt_lidc_doc *doc, lt_error *err) {
  if (!root || root->type != XML_ELEMENT_NODE)
    return lt_error_set(err, "no root element");
  if (!is_elem(root, "LidcReadMessage"))
    return lt_error_set(err,
                        "not an LIDC reading file: root element is <%s>, not <LidcReadMessage>",
                        (const char *)root->name);
  const xmlNode *hdr = first_child(root, "ResponseHeader");
  if (hdr) {
    if (child_text(hdr, "SeriesInstanceUid", doc->series_uid, sizeof doc->series_uid, NULL,
                   err) != 0 ||
        child_text(hdr, "StudyInstanceUID", doc->study_uid, sizeof doc->study_uid, NULL, err) != 0)
      return -1;
  }
  int nr = count_children(root, "readingSession");
  if (nr > 0 && !(doc->readers = calloc((size_t)nr, sizeof *doc->readers)))
    return lt_error_set(err, "out of memory");
  for (const xmlNode *c = root->children; c; c = c->next)
    if (is_elem(c, "readingSession") && parse_reader(c, &doc->readers[doc->n_readers++], err) != 0)
      return -1;
  return 0;
}

static int xml_error(xmlParserCtxtPtr ctxt, lt_error *err) {
  const xmlError *e = ctxt ? xmlCtxtGetLastError(ctxt) : NULL;
  if (!e || !e->message) return lt_error_set(err, "not well-formed XML");
  char msg[200];
  snprintf(msg, sizeof msg, "%s", e->message);
  size_t len = strlen(msg);
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) msg[--len] = '\0';
  return lt_error_set(err, "not well-formed XML (line %d): %s", e->line, msg);
}

/* One line whatever the input held: control characters (from echoed XML text or libxml2's
 * multi-line messages) become spaces. */
static void one_line(lt_error *err) {
  if (!err) return;
  for (char *p = err->msg; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
}

static int read_common(xmlParserCtxtPtr ctxt, xmlDocPtr x, lt_lidc_doc **out, lt_error *err) {
  if (ctxt->_private == &doctype_mark || (x && (x->intSubset || x->extSubset))) {
    xmlFreeDoc(x);
    return lt_error_set(err, "refused: the XML has a DOCTYPE (a DTD or entity declarations), "
                             "which LIDC readings never need");
  }
  if (!x) return xml_error(ctxt, err);
  lt_lidc_doc *doc = calloc(1, sizeof *doc);
  if (!doc) {
    xmlFreeDoc(x);
    return lt_error_set(err, "out of memory");
  }
  int rc = parse_doc(xmlDocGetRootElement(x), doc, err);
  xmlFreeDoc(x);
  if (rc != 0) {
    lt_lidc_doc_free(doc);
    return -1;
  }
  *out = doc;
  return 0;
}

int lt_lidc_read_memory(const char *buf, size_t len, lt_lidc_doc **out, lt_error *err) {
  *out = NULL;
  if (len > INT32_MAX) return lt_error_set(err, "XML larger than 2 GiB");
  xmlParserCtxtPtr ctxt = new_parser();
  if (!ctxt) return lt_error_set(err, "out of memory");
  saved_handler h = silence_libxml();
  xmlDocPtr x = xmlCtxtReadMemory(ctxt, buf, (int)len, "memory.xml", NULL, LT_LIDC_XML_OPTIONS);
  restore_libxml(h);
  int rc = read_common(ctxt, x, out, err);
  xmlFreeParserCtxt(ctxt);
  if (rc != 0) one_line(err);
  return rc;
}

int lt_lidc_read_file(const char *xml_path, lt_lidc_doc **out, lt_error *err) {
  *out = NULL;
  struct stat st;
  if (stat(xml_path, &st) != 0)
    return lt_error_set(err, "%s: %s", xml_path, strerror(errno));
  if (!S_ISREG(st.st_mode)) return lt_error_set(err, "%s: not a regular file", xml_path);
  xmlParserCtxtPtr ctxt = new_parser();
  if (!ctxt) return lt_error_set(err, "out of memory");
  saved_handler h = silence_libxml();
  xmlDocPtr x = xmlCtxtReadFile(ctxt, xml_path, NULL, LT_LIDC_XML_OPTIONS);
  restore_libxml(h);
  int rc = read_common(ctxt, x, out, err);
  xmlFreeParserCtxt(ctxt);
  if (rc != 0) {
    lt_error_prefix(err, "%s", xml_path);
    one_line(err);
  }
  return rc;
}

void lt_lidc_doc_free(lt_lidc_doc *doc) {
  if (!doc) return;
  for (int r = 0; r < doc->n_readers; r++) {
    lt_lidc_reader *rd = &doc->readers[r];
    for (int m = 0; m < rd->n_marks; m++) {
      for (int i = 0; i < rd->marks[m].n_rois; i++) free(rd->marks[m].rois[i].points);
      free(rd->marks[m].rois);
    }
    free(rd->marks);
    free(rd->non_nodules);
  }
  free(doc->readers);
  free(doc);
}

int lt_lidc_doc_mark_count(const lt_lidc_doc *doc) {
  int n = 0;
  for (int r = 0; doc && r < doc->n_readers; r++) n += doc->readers[r].n_marks;
  return n;
}

/* ---- finding files ---- */

typedef struct {
  char **paths;
  int n, cap;
} path_list;

static bool has_xml_suffix(const char *name) {
  size_t len = strlen(name);
  return len > 4 && !strcasecmp(name + len - 4, ".xml");
}

static bool root_is_lidc(const char *path) {
  saved_handler h = silence_libxml();
  xmlTextReaderPtr rd = xmlReaderForFile(path, NULL, LT_LIDC_XML_OPTIONS);
  if (!rd) {
    restore_libxml(h);
    return false;
  }
  bool yes = false;
  while (xmlTextReaderRead(rd) == 1) {
    if (xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT) {
      const xmlChar *name = xmlTextReaderConstLocalName(rd);
      yes = name && !strcmp((const char *)name, "LidcReadMessage");
      break;
    }
  }
  xmlFreeTextReader(rd);
  restore_libxml(h);
  return yes;
}

static int push_path(path_list *l, const char *p) {
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 8;
    char **np = realloc(l->paths, (size_t)cap * sizeof *np);
    if (!np) return -1;
    l->paths = np;
    l->cap = cap;
  }
  if (!(l->paths[l->n] = strdup(p))) return -1;
  l->n++;
  return 0;
}

static int walk(const char *dir, int depth, path_list *l, lt_error *err) {
  DIR *d = opendir(dir);
  if (!d) {
    if (depth == 0) return lt_error_set(err, "%s: %s", dir, strerror(errno));
    return 0; /* an unreadable subfolder is skipped */
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *p;
    if (asprintf(&p, "%s/%s", dir, e->d_name) < 0) {
      rc = lt_error_set(err, "out of memory");
      break;
    }
    struct stat st;
    /* folders: not through symbolic links (no loops); files: also through them */
    bool ok = lstat(p, &st) == 0 &&
              (!S_ISLNK(st.st_mode) || (stat(p, &st) == 0 && S_ISREG(st.st_mode)));
    if (ok) {
      if (S_ISDIR(st.st_mode) && depth < 32) {
        rc = walk(p, depth + 1, l, err);
      } else if (S_ISREG(st.st_mode) && has_xml_suffix(e->d_name) && root_is_lidc(p)) {
        if (push_path(l, p) != 0) rc = lt_error_set(err, "out of memory");
      }
    }
    free(p);
  }
  closedir(d);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int lt_lidc_find(const char *dir, char ***paths, int *n, lt_error *err) {
  *paths = NULL;
  *n = 0;
  struct stat st;
  if (stat(dir, &st) != 0) return lt_error_set(err, "%s: %s", dir, strerror(errno));
  path_list l = {0};
  if (S_ISREG(st.st_mode)) {
    if (root_is_lidc(dir) && push_path(&l, dir) != 0) return lt_error_set(err, "out of memory");
  } else if (walk(dir, 0, &l, err) != 0) {
    lt_lidc_paths_free(l.paths, l.n);
    return -1;
  }
  if (l.n > 1) qsort(l.paths, (size_t)l.n, sizeof *l.paths, cmp_str);
  *paths = l.paths;
  *n = l.n;
  return 0;
}

void lt_lidc_paths_free(char **paths, int n) {
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

/* Moves src's readers to the end of dst's. */
static int merge_into(lt_lidc_doc *dst, lt_lidc_doc *src, lt_error *err) {
  if (src->n_readers == 0) return 0;
  lt_lidc_reader *r = realloc(dst->readers,
                              (size_t)(dst->n_readers + src->n_readers) * sizeof *r);
  if (!r) return lt_error_set(err, "out of memory");
  memcpy(r + dst->n_readers, src->readers, (size_t)src->n_readers * sizeof *r);
  dst->readers = r;
  dst->n_readers += src->n_readers;
  free(src->readers);
  src->readers = NULL;
  src->n_readers = 0;
  return 0;
}

int lt_lidc_read_for_series(const char *dir, const char *series_uid, lt_lidc_doc **out,
                            lt_error *err) {
  *out = NULL;
  char **paths;
  int n;
  if (lt_lidc_find(dir, &paths, &n, err) != 0) return -1;
  lt_lidc_doc *all = NULL;
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    lt_lidc_doc *d;
    if (lt_lidc_read_file(paths[i], &d, err) != 0) {
      rc = -1;
      break;
    }
    if (series_uid && *series_uid && d->series_uid[0] && strcmp(d->series_uid, series_uid) != 0) {
      lt_lidc_doc_free(d);
      continue;
    }
    if (!all) {
      all = d;
    } else {
      rc = merge_into(all, d, err);
      lt_lidc_doc_free(d);
    }
  }
  lt_lidc_paths_free(paths, n);
  if (rc != 0) {
    lt_lidc_doc_free(all);
    return -1;
  }
  *out = all;
  return 0;
}
