/* bench_import.c -- import speed: a generated WeChatMsg CSV (500 members,
 * ~8% questions, join notices, quoted multi-line texts) and WeCom JSON lines
 * imported into a fresh database, timed through the commit; and the bare CSV
 * reader.  One figure a line, `name value unit`; never fails on speed.
 * Files go under $QS_TMP (else /tmp) and are removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "import.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void rm_db(const char *path)
{
    char b[1100];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
}

static const char *const texts[] = {
    "大家好", "今天的章节读完了，收获很多", "打卡 第%d天", "请问明天几点开始？", "\"书名\"，很好看",
    "哈哈哈", "这一段写得真好\n尤其是结尾", "收到", "同意", "ok",
};

static int gen_wechatmsg(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("\xEF\xBB\xBFlocalId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,"
          "NickName,Sender\r\n", f);
    unsigned long long s = 42;
    for (long i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(s >> 33);
        long ts = 1714525200 + i * 5;
        if (i % 1000 == 999) {
            fprintf(f, "%ld,123@chatroom,10000,0,0,%ld,4,\"\"\"成员%u\"\"邀请\"\"新人%ld\"\"加入了群聊\",,,,\r\n", i,
                    ts, r % 500, i);
            continue;
        }
        char text[200];
        snprintf(text, sizeof text, texts[r % 10], (int)(i / 1000));
        int quote = strchr(text, '"') || strchr(text, ',') || strchr(text, '\n');
        fprintf(f, "%ld,123@chatroom,%d,0,0,%ld,2,", i, r % 7 == 0 ? 3 : 1, ts);
        if (quote) {
            fputc('"', f);
            for (const char *p = text; *p; p++) {
                if (*p == '"') fputc('"', f);
                fputc(*p, f);
            }
            fputc('"', f);
        } else {
            fputs(text, f);
        }
        fprintf(f, ",2024-05-01 09:00:00,,成员%u,wxid_%u\r\n", r % 500, r % 500);
    }
    return fclose(f);
}

static int gen_wecom(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    unsigned long long s = 7;
    for (long i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(s >> 33);
        fprintf(f, "{\"msgid\":\"m%ld_%u\",\"action\":\"send\",\"from\":\"wm%u\",\"tolist\":[\"u1\",\"u2\"],"
                   "\"roomid\":\"wrA\",\"msgtime\":%lld,\"msgtype\":\"text\",\"text\":{\"content\":\"%s\"}}\n",
                i, r, r % 500, 1714525200000ll + i * 5000, r % 10 == 3 ? "请问明天几点开始？" : "今天的章节读完了");
    }
    return fclose(f);
}

static double import_rate(const char *db, const char *format, const char *file, long n)
{
    char err[1024];
    store_t *st;
    rm_db(db);
    if (store_open(&st, db, err, sizeof err)) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    imp_opts o;
    imp_opts_init(&o);
    o.format = format;
    imp_stats s;
    const char *files[1] = {file};
    double t0 = now_s();
    int rc = imp_import(st, &o, files, 1, &s, err, sizeof err);
    double dt = now_s() - t0;
    store_close(st);
    rm_db(db);
    if (rc) {
        fprintf(stderr, "bench_import: %s\n", err);
        return -1;
    }
    if (s.rows != n) fprintf(stderr, "bench_import: %lld rows read, %ld written\n", (long long)s.rows, n);
    return n / dt;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 500000;
    const char *dir = getenv("QS_TMP");
    if (!dir || !*dir) dir = "/tmp";
    char csv[1024], jsonl[1024], db[1024];
    snprintf(csv, sizeof csv, "%s/bench_import_%ld.csv", dir, (long)getpid());
    snprintf(jsonl, sizeof jsonl, "%s/bench_import_%ld.jsonl", dir, (long)getpid());
    snprintf(db, sizeof db, "%s/bench_import_%ld.db", dir, (long)getpid());
    int rc = 1;
    if (gen_wechatmsg(csv, n) || gen_wecom(jsonl, n)) {
        fprintf(stderr, "bench_import: cannot write samples in %s\n", dir);
        goto out;
    }
    /* the bare CSV reader */
    FILE *f = fopen(csv, "rb");
    imp_csv *c;
    if (!f || imp_csv_open(&c, f, 0)) goto out;
    imp_csv_rec r;
    long recs = 0;
    double t0 = now_s();
    while (imp_csv_next(c, &r) == 1) recs++;
    double dt = now_s() - t0;
    long bytes = ftell(f);
    imp_csv_close(c);
    fclose(f);
    printf("csv_read %.3g MB/s\n", bytes / dt / 1e6);
    double rate = import_rate(db, "wechatmsg", csv, n);
    if (rate < 0) goto out;
    printf("import_rows %.3g rows/s\n", rate);
    rate = import_rate(db, "wecom", jsonl, n);
    if (rate < 0) goto out;
    printf("import_rows_jsonl %.3g rows/s\n", rate);
    rc = 0;
out:
    unlink(csv);
    unlink(jsonl);
    return rc;
}
