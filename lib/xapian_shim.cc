/* xapian_shim.cc -- the C face of Xapian; the only C++ in dépêche. */
#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <sys/stat.h>
#include <string>
#include <vector>

extern "C" {
#include "xapian_shim.h"
}

struct xshim_db {
    Xapian::Database *db;          /* reader view (== wdb for writers) */
    Xapian::WritableDatabase *wdb; /* NULL for readers */
    /* Readers: each shard on its own, for metadata (a combined Database
     * reads metadata from its first shard only), and the shards that could
     * not be opened under XSHIM_OPEN_PARTIAL. */
    std::vector<Xapian::Database> subs;
    std::string missing;
};

/* A writer always works inside a flushed transaction: xshim_db_commit()
 * ends it (one atomic, durable revision) and starts the next, and closing
 * without a commit cancels it.  Without this, Xapian would commit pending
 * changes by itself (every 10,000 documents, and in the destructor), which
 * could publish half of a file's passages. */

struct xshim_doc {
    Xapian::Document doc;
};

struct xshim_query {
    Xapian::Query q;
};

/* Extra hits fetched beyond those asked for, so that near-equal weights
 * around the cut are sorted by the same rule. */
#define XSHIM_MARGIN 16

struct xshim_mset {
    Xapian::MSet ms;
    std::vector<Xapian::doccount> order; /* hit i is ms[order[i]] */
    std::vector<double> weight;          /* its weight, quantised */
};

struct xshim_stem {
    Xapian::Stem stem;
};

namespace {

int fail(dp_error *err, int code, const Xapian::Error &e)
{
    return dp_error_set(err, code, "xapian: %s", e.get_description().c_str());
}

/* Every entry point runs its body through guard(), so that no exception
 * crosses into C.  The mapping is the one xapian_shim.h documents. */
template <typename F>
int guard(dp_error *err, F body)
{
    try {
        return body();
    } catch (const Xapian::DatabaseLockError &e) {
        return fail(err, DP_ELOCKED, e);
    } catch (const Xapian::DatabaseCorruptError &e) {
        return fail(err, DP_ECORRUPT, e);
    } catch (const Xapian::DatabaseNotFoundError &e) {
        return fail(err, DP_ENOTFOUND, e);
    } catch (const Xapian::DatabaseOpeningError &e) {
        return fail(err, DP_ENOTFOUND, e);
    } catch (const Xapian::DatabaseCreateError &e) {
        return fail(err, DP_EIO, e);
    } catch (const Xapian::DocNotFoundError &e) {
        return fail(err, DP_ENOTFOUND, e);
    } catch (const Xapian::DatabaseModifiedError &e) {
        return fail(err, DP_EMODIFIED, e);
    } catch (const Xapian::DatabaseError &e) {
        /* A table cut short or overwritten: "EOF reading block 2". */
        return fail(err, DP_ECORRUPT, e);
    } catch (const Xapian::Error &e) {
        return fail(err, DP_EXAPIAN, e);
    } catch (const std::bad_alloc &) {
        return dp_error_set(err, DP_ENOMEM, "xapian: out of memory");
    } catch (const std::exception &e) {
        return dp_error_set(err, DP_EXAPIAN, "xapian: %s", e.what());
    } catch (...) {
        return dp_error_set(err, DP_EXAPIAN, "xapian: unknown exception");
    }
}

int to_buf(const std::string &s, dp_buf *out)
{
    return dp_buf_add(out, s.data(), s.size());
}

} // namespace

/* ---- stemming ---------------------------------------------------------- */

extern "C" int xshim_stem_new(xshim_stem **out, const char *lang,
                              dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        *out = new xshim_stem{Xapian::Stem(lang)};
        return DP_OK;
    });
}

extern "C" void xshim_stem_free(xshim_stem *st)
{
    delete st;
}

extern "C" int xshim_stem_word(xshim_stem *st, const char *word, size_t len,
                               dp_buf *out, dp_error *err)
{
    return guard(err, [&]() -> int {
        return to_buf(st->stem(std::string(word, len)), out);
    });
}

/* ---- databases --------------------------------------------------------- */

namespace {

/* The stub file of @p path: the path itself if it is a file, PATH/XAPIANDB
 * if that exists, else "" (a plain database directory). */
std::string stub_file(const std::string &path)
{
    struct stat sb;

    if (stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode))
        return path;
    std::string in_dir = path + "/XAPIANDB";
    if (stat(in_dir.c_str(), &sb) == 0 && S_ISREG(sb.st_mode))
        return in_dir;
    return std::string();
}

/* A kind of stub line open_stub_line() opens. */
bool stub_kind(const std::string &kind)
{
    return kind == "auto" || kind == "glass" || kind == "remote";
}

/* Open one line of a stub: "auto PATH" or "glass PATH" (relative to the
 * stub's folder), "remote :HOST:PORT" or "remote HOST:PORT" (TCP, Xapian's
 * remote protocol, served by xapian-tcpsrv). */
Xapian::Database open_stub_line(const std::string &dir, const std::string &kind,
                                const std::string &arg)
{
    if (kind == "auto" || kind == "glass") {
        std::string p = arg.empty() || arg[0] == '/' ? arg : dir + "/" + arg;
        return Xapian::Database(p);
    }
    if (kind == "remote") {
        std::string a = arg[0] == ':' ? arg.substr(1) : arg;
        size_t colon = a.rfind(':');
        if (colon == std::string::npos || colon + 1 >= a.size())
            throw Xapian::InvalidArgumentError("expected remote :HOST:PORT");
        unsigned port = static_cast<unsigned>(std::stoul(a.substr(colon + 1)));
        return Xapian::Remote::open(a.substr(0, colon), port, 10000, 10000);
    }
    throw Xapian::InvalidArgumentError("unknown stub line kind '" + kind + "'");
}

/* Open every shard a stub lists; a shard that fails is named in the
 * error, or, when @p partial, left out and named in h->missing. */
void open_stub(xshim_db *h, const std::string &stub, bool partial)
{
    std::ifstream in(stub);
    std::string dir = stub.substr(0, stub.rfind('/') == std::string::npos
                                         ? 0 : stub.rfind('/'));
    std::string line;
    unsigned n = 0;

    if (dir.empty())
        dir = ".";
    if (!in)
        throw Xapian::DatabaseOpeningError(stub + ": cannot read stub file");
    h->db = new Xapian::Database();
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string kind, arg;
        if (!(ls >> kind) || kind[0] == '#')
            continue;
        /* Not a stub: a file that is no index at all (the caller names
         * it so); an index is a folder.  Its first line decides: a later
         * mistyped one is a shard that fails, named (--allow-partial). */
        if (n == 0 && !stub_kind(kind))
            throw Xapian::DatabaseOpeningError(stub + ": not a stub file");
        ls >> arg;
        std::string name = "shard " + std::to_string(n) + " (" + kind + " " +
                           arg + ")";
        n++;
        try {
            Xapian::Database sub = open_stub_line(dir, kind, arg);
            h->subs.push_back(sub);
            h->db->add_database(sub);
        } catch (const Xapian::Error &e) {
            if (!partial)
                throw Xapian::DatabaseOpeningError(name + ": " +
                                                   e.get_description());
            h->missing += (h->missing.empty() ? "" : ", ") + name;
        } catch (const std::exception &e) {
            throw Xapian::DatabaseOpeningError(name + ": " + e.what());
        }
    }
    if (n == 0)
        throw Xapian::DatabaseOpeningError(stub + ": an empty stub file");
    if (h->subs.empty())
        throw Xapian::DatabaseOpeningError(stub + ": no shard could be opened" +
                                           (h->missing.empty() ? ""
                                            : " (" + h->missing + ")"));
}

} // namespace

extern "C" int xshim_db_open(xshim_db **out, const char *path, unsigned mode,
                             dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        xshim_db *h = new xshim_db{nullptr, nullptr, {}, {}};
        try {
            if (mode == XSHIM_OPEN_READ || mode == XSHIM_OPEN_PARTIAL) {
                std::string stub = stub_file(path);
                if (stub.empty()) {
                    h->db = new Xapian::Database(path);
                    h->subs.push_back(*h->db);
                } else {
                    open_stub(h, stub, mode == XSHIM_OPEN_PARTIAL);
                }
            } else {
                int action = mode == XSHIM_OPEN_OVERWRITE
                                 ? Xapian::DB_CREATE_OR_OVERWRITE
                             : mode == XSHIM_OPEN_EXISTING
                                 ? Xapian::DB_OPEN
                                 : Xapian::DB_CREATE_OR_OPEN;
                h->wdb = new Xapian::WritableDatabase(
                    path, action | Xapian::DB_BACKEND_GLASS);
                h->db = h->wdb;
                h->wdb->begin_transaction(true);
            }
        } catch (...) {
            delete h->db; /* == wdb for writers */
            delete h;
            throw;
        }
        *out = h;
        return DP_OK;
    });
}

extern "C" void xshim_db_close(xshim_db *db)
{
    if (db == nullptr)
        return;
    try {
        if (db->wdb != nullptr)
            db->wdb->cancel_transaction();
    } catch (...) {
        /* Already failed or closed: nothing left to cancel. */
    }
    try {
        delete db->db;
    } catch (...) {
    }
    delete db;
}

extern "C" int xshim_db_reopen(xshim_db *db, bool *newer, dp_error *err)
{
    return guard(err, [&]() -> int {
        bool moved = db->db->reopen();
        for (Xapian::Database &sub : db->subs)
            moved = sub.reopen() || moved;
        if (newer != nullptr)
            *newer = moved;
        return DP_OK;
    });
}

extern "C" int xshim_db_commit(xshim_db *db, dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "commit on a read-only index");
        db->wdb->commit_transaction();
        db->wdb->begin_transaction(true);
        return DP_OK;
    });
}

extern "C" int xshim_db_clear(xshim_db *db, dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "read-only index");
        std::vector<Xapian::docid> ids;
        for (auto it = db->wdb->postlist_begin(std::string());
             it != db->wdb->postlist_end(std::string()); ++it)
            ids.push_back(*it);
        for (Xapian::docid id : ids)
            db->wdb->delete_document(id);
        std::vector<std::string> keys;
        for (auto it = db->wdb->metadata_keys_begin();
             it != db->wdb->metadata_keys_end(); ++it)
            keys.push_back(*it);
        for (const std::string &k : keys)
            db->wdb->set_metadata(k, std::string());
        return DP_OK;
    });
}

extern "C" int xshim_db_get_metadata(xshim_db *db, const char *key,
                                     dp_buf *out, dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb != nullptr || db->subs.empty())
            return to_buf(db->db->get_metadata(key), out);
        /* The first shard that has it (manifest entries live on the shard
         * of their file; the schema keys are on every shard). */
        for (const Xapian::Database &sub : db->subs) {
            std::string v = sub.get_metadata(key);
            if (!v.empty())
                return to_buf(v, out);
        }
        return DP_OK;
    });
}

extern "C" const char *xshim_db_missing(const xshim_db *db)
{
    return db->missing.c_str();
}

extern "C" size_t xshim_db_shards(const xshim_db *db)
{
    return db->subs.empty() ? 1 : db->subs.size();
}

extern "C" int xshim_db_set_metadata(xshim_db *db, const char *key,
                                     const char *val, size_t len,
                                     dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "read-only index");
        db->wdb->set_metadata(key, std::string(val, len));
        return DP_OK;
    });
}

/* GCC says __SANITIZE_ADDRESS__; clang answers __has_feature(). */
#if !defined(XSHIM_LSAN) && defined(__SANITIZE_ADDRESS__)
#define XSHIM_LSAN 1
#endif
#if !defined(XSHIM_LSAN) && defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define XSHIM_LSAN 1
#endif
#endif

#if defined(XSHIM_LSAN)
#include <sanitizer/lsan_interface.h>
/* Xapian 1.4.22 leaks the state of a metadata key iterator (about 16 KiB,
 * allocated inside libxapian) when reading the keys throws
 * DatabaseModifiedError: a writer's commits discarded the revision being
 * read.  Callers then reopen and read again (dp_searcher_stats(); checked
 * by tests/test_index.c), so under LeakSanitizer that leak, and only it,
 * is expected: what Xapian allocates while it moves the iterator is not
 * tracked (a suppression by the shim function's name missed it when the
 * unwinder, going through libxapian, which keeps no frame pointers, lost
 * the shim's frame). */
#define XSHIM_KNOWN_LEAKS __lsan::ScopedDisabler known_leaks
#else
#define XSHIM_KNOWN_LEAKS do { } while (0)
#endif

extern "C" int xshim_db_metadata_keys(xshim_db *db, const char *prefix,
                                      xshim_key_cb cb, void *ctx,
                                      dp_error *err)
{
    return guard(err, [&]() -> int {
        std::vector<Xapian::Database> all;
        if (db->wdb != nullptr || db->subs.empty())
            all.push_back(*db->db);
        else
            all = db->subs;
        for (const Xapian::Database &sub : all) {
            Xapian::TermIterator it, end;
            {
                XSHIM_KNOWN_LEAKS;
                it = sub.metadata_keys_begin(prefix);
                end = sub.metadata_keys_end(prefix);
            }
            while (it != end) {
                const std::string k = *it;
                int rc = cb(k.data(), k.size(), ctx);
                if (rc != 0)
                    return rc;
                XSHIM_KNOWN_LEAKS;
                ++it;
            }
        }
        return DP_OK;
    });
}

extern "C" int xshim_db_stats(xshim_db *db, xshim_stats *out, dp_error *err)
{
    return guard(err, [&]() -> int {
        out->doccount = db->db->get_doccount();
        out->lastdocid = db->db->get_lastdocid();
        out->avlength = db->db->get_avlength();
        out->total_length = db->db->get_total_length();
        out->has_positions = db->db->has_positions();
        return DP_OK;
    });
}

extern "C" int xshim_db_termfreq(xshim_db *db, const char *term, size_t len,
                                 uint64_t *out, dp_error *err)
{
    return guard(err, [&]() -> int {
        *out = db->db->get_termfreq(std::string(term, len));
        return DP_OK;
    });
}

extern "C" int xshim_db_allterms(xshim_db *db, const char *prefix,
                                 size_t plen, xshim_term_cb cb, void *ctx,
                                 dp_error *err)
{
    return guard(err, [&]() -> int {
        std::string p(prefix, plen);
        for (auto it = db->db->allterms_begin(p); it != db->db->allterms_end(p);
             ++it) {
            const std::string &t = *it;
            int rc = cb(t.data(), t.size(), it.get_termfreq(), ctx);
            if (rc != 0)
                return rc;
        }
        return DP_OK;
    });
}

extern "C" int xshim_db_postlist(xshim_db *db, const char *term, size_t len,
                                 xshim_docid_cb cb, void *ctx, dp_error *err)
{
    return guard(err, [&]() -> int {
        std::string t(term, len);
        for (auto it = db->db->postlist_begin(t); it != db->db->postlist_end(t);
             ++it) {
            int rc = cb(*it, ctx);
            if (rc != 0)
                return rc;
        }
        return DP_OK;
    });
}

extern "C" int xshim_db_get_data(xshim_db *db, uint32_t docid, dp_buf *out,
                                 dp_error *err)
{
    return guard(err, [&]() -> int {
        return to_buf(db->db->get_document(docid).get_data(), out);
    });
}

extern "C" int xshim_db_doc_wdf(xshim_db *db, uint32_t docid,
                                const char *term, size_t len, uint32_t *wdf,
                                uint64_t *doclen, dp_error *err)
{
    return guard(err, [&]() -> int {
        std::string t(term, len);
        *wdf = 0;
        *doclen = db->db->get_doclength(docid);
        Xapian::TermIterator it = db->db->termlist_begin(docid);
        it.skip_to(t);
        if (it != db->db->termlist_end(docid) && *it == t)
            *wdf = it.get_wdf();
        return DP_OK;
    });
}

extern "C" int xshim_compact(const char *const *srcs, size_t n,
                             const char *dst, dp_error *err)
{
    return guard(err, [&]() -> int {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++)
            all.add_database(Xapian::Database(srcs[i]));
        /* Not FULLER: the merged index is updated by later runs. */
        all.compact(dst, Xapian::DBCOMPACT_MULTIPASS);
        return DP_OK;
    });
}

/* ---- documents --------------------------------------------------------- */

extern "C" int xshim_doc_new(xshim_doc **out, dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        *out = new xshim_doc();
        return DP_OK;
    });
}

extern "C" void xshim_doc_free(xshim_doc *doc)
{
    delete doc;
}

extern "C" int xshim_doc_add_posting(xshim_doc *doc, const char *term,
                                     size_t len, uint32_t pos,
                                     uint32_t wdfinc, dp_error *err)
{
    return guard(err, [&]() -> int {
        doc->doc.add_posting(std::string(term, len), pos, wdfinc);
        return DP_OK;
    });
}

extern "C" int xshim_doc_add_term(xshim_doc *doc, const char *term,
                                  size_t len, uint32_t wdfinc, dp_error *err)
{
    return guard(err, [&]() -> int {
        doc->doc.add_term(std::string(term, len), wdfinc);
        return DP_OK;
    });
}

extern "C" int xshim_doc_set_data(xshim_doc *doc, const char *data,
                                  size_t len, dp_error *err)
{
    return guard(err, [&]() -> int {
        doc->doc.set_data(std::string(data, len));
        return DP_OK;
    });
}

extern "C" int xshim_doc_set_value(xshim_doc *doc, unsigned slot,
                                   const char *val, size_t len, dp_error *err)
{
    return guard(err, [&]() -> int {
        doc->doc.add_value(slot, std::string(val, len));
        return DP_OK;
    });
}

extern "C" int xshim_db_add_doc(xshim_db *db, xshim_doc *doc, dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "read-only index");
        db->wdb->add_document(doc->doc);
        doc->doc = Xapian::Document();
        return DP_OK;
    });
}

extern "C" int xshim_db_replace_doc(xshim_db *db, uint32_t docid,
                                    xshim_doc *doc, dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "read-only index");
        db->wdb->replace_document(docid, doc->doc);
        doc->doc = Xapian::Document();
        return DP_OK;
    });
}

extern "C" int xshim_db_delete_doc(xshim_db *db, uint32_t docid,
                                   dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "read-only index");
        db->wdb->delete_document(docid);
        return DP_OK;
    });
}

extern "C" int xshim_db_delete_term(xshim_db *db, const char *term,
                                    size_t len, dp_error *err)
{
    return guard(err, [&]() -> int {
        if (db->wdb == nullptr)
            return dp_error_set(err, DP_EINVAL, "read-only index");
        db->wdb->delete_document(std::string(term, len));
        return DP_OK;
    });
}

/* ---- queries ----------------------------------------------------------- */

namespace {

int new_query(xshim_query **out, Xapian::Query q)
{
    *out = new xshim_query{std::move(q)};
    return DP_OK;
}

Xapian::Query::op to_xop(xshim_op op)
{
    switch (op) {
    case XSHIM_OP_AND: return Xapian::Query::OP_AND;
    case XSHIM_OP_OR: return Xapian::Query::OP_OR;
    case XSHIM_OP_AND_NOT: return Xapian::Query::OP_AND_NOT;
    case XSHIM_OP_AND_MAYBE: return Xapian::Query::OP_AND_MAYBE;
    case XSHIM_OP_FILTER: return Xapian::Query::OP_FILTER;
    case XSHIM_OP_PHRASE: return Xapian::Query::OP_PHRASE;
    case XSHIM_OP_NEAR: return Xapian::Query::OP_NEAR;
    case XSHIM_OP_SYNONYM: return Xapian::Query::OP_SYNONYM;
    default: break;
    }
    throw Xapian::InvalidArgumentError("unknown query operator");
}

} // namespace

extern "C" int xshim_query_term(xshim_query **out, const char *term,
                                size_t len, uint32_t wqf, uint32_t pos,
                                dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        return new_query(out, Xapian::Query(std::string(term, len),
                                            wqf ? wqf : 1, pos));
    });
}

extern "C" int xshim_query_combine(xshim_query **out, xshim_op op,
                                   xshim_query *const *subs, size_t n,
                                   uint32_t param, dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        std::vector<Xapian::Query> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++)
            v.push_back(subs[i]->q);
        Xapian::Query::op xop = to_xop(op);
        if (xop == Xapian::Query::OP_AND_NOT && v.size() > 2) {
            /* a AND NOT (b OR c ...) */
            Xapian::Query rest(Xapian::Query::OP_OR, v.begin() + 1, v.end());
            return new_query(out, Xapian::Query(xop, v[0], rest));
        }
        return new_query(out, Xapian::Query(xop, v.begin(), v.end(), param));
    });
}

extern "C" int xshim_query_wildcard(xshim_query **out, const char *prefix,
                                    size_t len, uint32_t max_expansion,
                                    dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        return new_query(out,
                         Xapian::Query(Xapian::Query::OP_WILDCARD,
                                       std::string(prefix, len), max_expansion,
                                       Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                                       Xapian::Query::OP_SYNONYM));
    });
}

extern "C" int xshim_query_match_all(xshim_query **out, dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int { return new_query(out, Xapian::Query::MatchAll); });
}

extern "C" int xshim_query_match_nothing(xshim_query **out, dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        return new_query(out, Xapian::Query::MatchNothing);
    });
}

extern "C" int xshim_query_scale(xshim_query **out, xshim_query *sub,
                                 double factor, dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        return new_query(out, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                                            sub->q, factor));
    });
}

extern "C" void xshim_query_free(xshim_query *q)
{
    delete q;
}

extern "C" int xshim_query_describe(const xshim_query *q, dp_buf *out,
                                    dp_error *err)
{
    return guard(err, [&]() -> int { return to_buf(q->q.get_description(), out); });
}

/* ---- searching --------------------------------------------------------- */

namespace {

using Q = Xapian::Query;

bool positional(const Q &q)
{
    if (q.get_type() == Q::OP_PHRASE || q.get_type() == Q::OP_NEAR)
        return true;
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        if (positional(q.get_subquery(i)))
            return true;
    }
    return false;
}

/* The subqueries of @p q, and those of its OR subqueries, in order. */
void or_parts(const Q &q, std::vector<Q> &out)
{
    if (q.get_type() != Q::OP_OR) {
        out.push_back(q);
        return;
    }
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        or_parts(q.get_subquery(i), out);
}

/* Xapian 1.4.22 gives the weight of a phrase (or NEAR) that sits in an OR
 * beside other subqueries, under OP_FILTER, OP_AND or OP_AND_MAYBE, to
 * documents that do not hold the phrase: "ordre grandeur francophones
 * Royaume-Uni" filtered by one file gave four of its passages the 9.6 of
 * "royaume uni", which they do not contain (docs/relevance.md).  A
 * phrase directly under the filter is weighted right, so such queries
 * are rewritten into the same sums with every positional subquery
 * directly under its constraint:
 *   FILTER(a OR b OR p, f)      -> FILTER(a, f) OR FILTER(b, f) OR FILTER(p, f)
 *   AND_MAYBE(l, a OR b OR p)   -> AND_MAYBE(l, a OR b) OR FILTER(p, l)
 *   AND(x, y)                   -> FILTER(x, y) OR FILTER(y, x), and so on
 * (AND_NOT weighs its first subquery right: measured, kept).
 * Only OR, AND, FILTER and AND_MAYBE nodes are rebuilt (they carry no
 * parameter); any other node is kept whole. */
Q unleak(const Q &q)
{
    Q::op t = q.get_type();
    size_t n = q.get_num_subqueries();
    std::vector<Q> sub;

    if (n == 0 || !positional(q) ||
        (t != Q::OP_OR && t != Q::OP_AND && t != Q::OP_FILTER &&
         t != Q::OP_AND_MAYBE))
        return q;
    for (size_t i = 0; i < n; i++)
        sub.push_back(unleak(q.get_subquery(i)));
    if (t == Q::OP_FILTER && sub[0].get_type() == Q::OP_OR) {
        Q f = n == 2 ? sub[1] : Q(Q::OP_AND, sub.begin() + 1, sub.end());
        std::vector<Q> parts, each;
        or_parts(sub[0], parts);
        for (const Q &part : parts)
            each.push_back(unleak(Q(Q::OP_FILTER, part, f)));
        return Q(Q::OP_OR, each.begin(), each.end());
    }
    if (t == Q::OP_AND_MAYBE) {
        std::vector<Q> parts, plain, each;
        for (size_t i = 1; i < n; i++)
            or_parts(sub[i], parts);
        for (const Q &part : parts) {
            if (positional(part))
                each.push_back(unleak(Q(Q::OP_FILTER, part, sub[0])));
            else
                plain.push_back(part);
        }
        if (each.empty())
            return Q(Q::OP_AND_MAYBE, sub.begin(), sub.end());
        each.insert(each.begin(),
                    plain.empty()
                        ? sub[0]
                        : Q(Q::OP_AND_MAYBE, sub[0],
                            Q(Q::OP_OR, plain.begin(), plain.end())));
        return Q(Q::OP_OR, each.begin(), each.end());
    }
    if (t == Q::OP_AND) {
        /* The sum of each part's weight on the documents that match them
         * all: FILTER(part, AND of the others), OR-ed. */
        std::vector<Q> each;
        for (size_t i = 0; i < n; i++) {
            std::vector<Q> others(sub);
            others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
            Q rest = others.size() == 1
                         ? others[0]
                         : Q(Q::OP_AND, others.begin(), others.end());
            each.push_back(unleak(Q(Q::OP_FILTER, sub[i], rest)));
        }
        return Q(Q::OP_OR, each.begin(), each.end());
    }
    return Q(t, sub.begin(), sub.end());
}

} // namespace

extern "C" int xshim_search(xshim_db *db, const xshim_query *q,
                            const xshim_search_opts *opts, xshim_mset **out,
                            dp_error *err)
{
    *out = nullptr;
    return guard(err, [&]() -> int {
        Xapian::Enquire enq(*db->db);
        enq.set_query(unleak(q->q));
        enq.set_weighting_scheme(
            Xapian::BM25Weight(opts->k1, 0, 1, opts->b, 0.5));
        /* Xapian adds a document's term weights in an order that depends
         * on the shape of its postlist tree, hence on term frequencies
         * per shard and on document order: the same passage can score a
         * few ulps apart on a sharded index or after a -j build, and two
         * passages with equal weights then swap.  Weights are rounded to
         * XSHIM_WEIGHT_QUANTUM and the hits sorted again (weight, then the
         * tie slot), from a list longer than asked for by XSHIM_MARGIN so
         * that the cut falls in the same place.
         *
         * Xapian is first asked for that list in document-id order, which
         * spares it reading the tie slot of every candidate; only hits of
         * equal weight then read theirs.  That list is the right one
         * unless equal weights straddle its end (the weight kept last
         * equals the list's lowest): a document left out could then
         * belong before one kept, and Xapian is asked again, ordering
         * ties by the slot itself. */
        Xapian::doccount want = opts->offset + opts->count;
        Xapian::doccount extra = want > 0 ? XSHIM_MARGIN : 0;
        auto ms = std::make_unique<xshim_mset>();
        const std::vector<double> &w = ms->weight;
        std::vector<std::string> keys;
        Xapian::doccount n = 0;
        bool by_slot = false;

        for (;;) {
            if (by_slot)
                enq.set_sort_by_relevance_then_value(
                    static_cast<Xapian::valueno>(opts->tie_slot), false);
            else
                enq.set_docid_order(Xapian::Enquire::ASCENDING);
            ms->ms = enq.get_mset(0, want + extra, opts->check_at_least);
            n = ms->ms.size();
            keys.assign(n, std::string());
            ms->weight.resize(n);
            ms->order.resize(n);
            for (Xapian::doccount i = 0; i < n; i++) {
                Xapian::MSetIterator it = ms->ms[i];
                ms->weight[i] = std::nearbyint(it.get_weight() /
                                               XSHIM_WEIGHT_QUANTUM) *
                                XSHIM_WEIGHT_QUANTUM;
                if (by_slot)
                    keys[i] = it.get_sort_key();
                ms->order[i] = i;
            }
            auto cmp = [&](Xapian::doccount a, Xapian::doccount b) {
                if (w[a] != w[b])
                    return w[a] > w[b];
                if (keys[a] != keys[b])
                    return keys[a] < keys[b];
                return *ms->ms[a] < *ms->ms[b];
            };
            std::sort(ms->order.begin(), ms->order.end(), cmp);
            if (by_slot || opts->tie_slot < 0)
                break;
            /* The tie slot of the hits that share their weight. */
            bool ties = false;
            for (Xapian::doccount i = 0; i + 1 < n; i++) {
                Xapian::doccount a = ms->order[i], b = ms->order[i + 1];
                if (w[a] != w[b])
                    continue;
                for (Xapian::doccount h : { a, b }) {
                    if (keys[h].empty())
                        keys[h] = ms->ms[h].get_document().get_value(
                            static_cast<Xapian::valueno>(opts->tie_slot));
                }
                ties = true;
            }
            if (ties)
                std::sort(ms->order.begin(), ms->order.end(), cmp);
            if (n == want + extra && want > 0 &&
                w[ms->order[want - 1]] == w[ms->order[n - 1]]) {
                by_slot = true;
                continue;
            }
            break;
        }
        /* Keep hits [offset, offset + count) of the new order. */
        ms->order.resize(std::min(n, want));
        ms->order.erase(ms->order.begin(),
                        ms->order.begin() + std::min<Xapian::doccount>(
                                                opts->offset, ms->order.size()));
        *out = ms.release();
        return DP_OK;
    });
}

extern "C" void xshim_mset_free(xshim_mset *ms)
{
    delete ms;
}

extern "C" size_t xshim_mset_size(const xshim_mset *ms)
{
    return ms->order.size();
}

extern "C" uint64_t xshim_mset_matches(const xshim_mset *ms)
{
    return ms->ms.get_matches_estimated();
}

extern "C" uint32_t xshim_mset_docid(const xshim_mset *ms, size_t i)
{
    return *(ms->ms[ms->order[i]]);
}

extern "C" double xshim_mset_weight(const xshim_mset *ms, size_t i)
{
    return ms->weight[ms->order[i]];
}

extern "C" int xshim_mset_data(xshim_mset *ms, size_t i, dp_buf *out,
                               dp_error *err)
{
    return guard(err, [&]() -> int {
        return to_buf(
            ms->ms[ms->order[i]].get_document().get_data(),
            out);
    });
}

extern "C" int xshim_mset_value(xshim_mset *ms, size_t i, unsigned slot,
                                dp_buf *out, dp_error *err)
{
    return guard(err, [&]() -> int {
        return to_buf(ms->ms[ms->order[i]].get_document().get_value(
                          static_cast<Xapian::valueno>(slot)),
                      out);
    });
}
