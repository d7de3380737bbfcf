// Prints the ARN of sts get-caller-identity through the Go SDK v1's default credentials chain
// (Debian 12's golang-github-aws-aws-sdk-go-dev). Usage: caller-identity STS_ENDPOINT [CALLS SECONDS_APART]
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/sts"
)

func main() {
	calls, apart := 1, 0
	if len(os.Args) > 3 {
		calls, _ = strconv.Atoi(os.Args[2])
		apart, _ = strconv.Atoi(os.Args[3])
	}
	sess, err := session.NewSession(&aws.Config{Endpoint: aws.String(os.Args[1])})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	client := sts.New(sess)
	for i := 0; i < calls; i++ {
		if i > 0 {
			time.Sleep(time.Duration(apart) * time.Second)
		}
		out, err := client.GetCallerIdentity(&sts.GetCallerIdentityInput{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(*out.Arn)
	}
}
