#!/usr/bin/env python3
# A probe, not a test (README, "Security": new GraphQL documents): N_DOCS distinct GraphQL documents
# of 20,000 characters each (the size limit) sent at once, each on its own connection, while
# /health/live (the event loops) and /metrics (the worker pool) are timed every 200 ms. Prints the
# answers' statuses, the wall time, the server's CPU over the burst (PID=<the server's java pid>)
# and the two probes' max and median latency during it. SHAPE: same | order | deep (nested
# customer { orders { data } } fields) | two.
#   PID=$(pgrep -f 'hotpath.*serve') scripts/probe-graphql-documents.py PORT TOKEN N_DOCS SHAPE
import sys, json, time, threading, http.client, random, statistics
port=int(sys.argv[1]); token=sys.argv[2]; n=int(sys.argv[3]); shape=sys.argv[4] if len(sys.argv)>4 else 'same'
LIMIT=20000
def doc(i):
    head='query Q%d { ' % i
    if shape=='same':
        unit='a:__typename '
    elif shape=='order':
        unit='a:order(id:1){id} '
    elif shape=='deep':
        unit='a:customer(id:1){orders{data{id}}} '
    else:
        unit='a:__typename b:__typename '
    body=unit*((LIMIT-len(head)-2)//len(unit))
    return head+body+'}'
results=[]
import os
PID=os.environ.get('PID')
def cpu():
    if not PID: return 0.0
    f=open('/proc/%s/stat'%PID).read().rsplit(')',1)[1].split()
    return (int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK')
def post(i):
    c=http.client.HTTPConnection('127.0.0.1',port,timeout=120)
    b=json.dumps({'query':doc(i)})
    t=time.time()
    c.request('POST','/graphql',b,{'Content-Type':'application/json','Authorization':'Bearer '+token})
    r=c.getresponse(); data=r.read()
    results.append((r.status,time.time()-t,data[:120]))
def probe(path, out, stop):
    while not stop.is_set():
        c=http.client.HTTPConnection('127.0.0.1',port,timeout=120)
        t=time.time(); c.request('GET',path); r=c.getresponse(); r.read(); out.append(time.time()-t); c.close()
        time.sleep(0.2)
def run(label, docs):
    stop=threading.Event(); live=[]; met=[]
    ps=[threading.Thread(target=probe,args=('/health/live',live,stop)),threading.Thread(target=probe,args=('/metrics',met,stop))]
    for p in ps: p.start()
    time.sleep(2)
    base_live=list(live); base_met=list(met)
    ts=[threading.Thread(target=post,args=(random.randrange(1<<30),)) for _ in range(docs)]
    t0=time.time(); c0=cpu()
    for t in ts: t.start()
    for t in ts: t.join()
    wall=time.time()-t0
    stop.set()
    for p in ps: p.join()
    def s(x): return 'n=%d max=%.3f med=%.3f'%(len(x),max(x),statistics.median(x)) if x else 'n=0'
    import collections
    print(label,'docs',docs,'wall %.1fs'%wall,'statuses',dict(collections.Counter(r[0] for r in results)),
          'server cpu %.1fs'%(cpu()-c0),
          'doc latency max %.2f'%max(r[1] for r in results))
    print('  /health/live during:',s(live[len(base_live):]),' /metrics during:',s(met[len(base_met):]))
    print('  sample answer:',results[0][2])
run(shape, n)
